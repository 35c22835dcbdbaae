package dev.gatehouse.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code gatehouse proxy} on {@code wss://} trusts only the CA it is given: without
 * {@code --ca-file}, or with one that holds no certificate, it exits 1 with one line that names
 * the flag, before opening any port.
 */
class ChannelFlagsTest {

    private static String[] run(Path dir, String... extra) throws Exception {
        Path token = dir.resolve("token");
        Files.writeString(token, "flags-test-token-0123456789");
        String[] base = {"proxy", "--controller", "wss://gatehouse-channel.gatehouse-system.svc:18000",
                "--token-file", token.toString(), "--address", "127.0.0.1", "--port", "0", "--status-port", "0",
                "--access-log", "off"};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        CommandLine cli = Gatehouse.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new String[] {Integer.toString(exit), err.toString()};
    }

    @Test
    void wssWithoutACaFileExitsOneNamingTheFlag(@TempDir Path dir) throws Exception {
        String[] r = run(dir);
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[1].strip()).doesNotContain("\n")
                .startsWith("gatehouse proxy: caFile: missing for wss://gatehouse-channel.gatehouse-system.svc:18000/v1/channel")
                .contains("--ca-file").contains("the JDK's trust store is never used")
                .doesNotContain("flags-test-token");
    }

    @Test
    void aCaFileWithoutACertificateExitsOne(@TempDir Path dir) throws Exception {
        Path ca = Files.writeString(dir.resolve("ca.crt"), "not a certificate\n");
        String[] r = run(dir, "--ca-file", ca.toString());
        assertThat(r[0]).isEqualTo("1");
        assertThat(r[1].strip()).doesNotContain("\n").startsWith("gatehouse proxy: caFile: cannot load " + ca);
    }
}
