package dev.gatehouse.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** What a first {@code gatehouse demo} says when it cannot start, and where it finds the seed. */
class DemoFirstRunTest {
    @Test
    void aTakenReplicaPortIsNamedWithHowToFindItsHolder() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            StringWriter err = new StringWriter();
            int code = Gatehouse.commandLine().setErr(new PrintWriter(err)).setOut(new PrintWriter(new StringWriter()))
                    .execute("demo", "--dir", "../examples/seed", "--backend-ports", String.valueOf(taken.getLocalPort()),
                            "--port", "0", "--status-port", "0");
            assertThat(code).isEqualTo(1);
            assertThat(err.toString()).contains("port " + taken.getLocalPort() + " of replica-1 is taken")
                    .contains("ss -ltnp");
        }
    }

    @Test
    void theDefaultSeedIsFoundUnderTheCheckoutFromAnyWorkingDirectory(@TempDir Path home) throws Exception {
        Path seed = Files.createDirectories(home.resolve("examples/seed"));
        assertThat(DemoCommand.resolveDir(Path.of("examples/seed"), home.toString())).isEqualTo(seed);
        // a directory that exists where the user stands, or an absolute one, is taken as given
        assertThat(DemoCommand.resolveDir(Path.of("."), home.toString())).isEqualTo(Path.of("."));
        assertThat(DemoCommand.resolveDir(home.resolve("nope"), home.toString())).isEqualTo(home.resolve("nope"));
        // without the script's GATEHOUSE_HOME nothing is guessed
        assertThat(DemoCommand.resolveDir(Path.of("examples/seed"), null)).isEqualTo(Path.of("examples/seed"));
    }
}
