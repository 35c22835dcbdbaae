package dev.gatehouse.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The status port shows routes and targets, so {@code gatehouse local} and {@code demo} bind it
 * on 127.0.0.1 only unless {@code --status-address} says otherwise. "Only" is checked from
 * outside: a connect to 127.0.0.2 (loopback too, but another address: it reaches a socket bound
 * to 0.0.0.0, not one bound to 127.0.0.1) and to this host's other addresses is refused, while
 * 127.0.0.1 answers. The same probe with {@code --status-address 0.0.0.0} connects, which shows
 * the probe can tell the two apart. A bad {@code --trusted-proxies} is refused before anything starts.
 */
class StatusAddressTest {
    private static final Pattern LOCAL_STATUS = Pattern.compile("\\(status on ([^ )]+):(\\d+)\\)");
    private static final Pattern DEMO_STATUS = Pattern.compile("status http://localhost:(\\d+)/status");

    @Test
    void localBindsItsStatusPortOnLoopbackOnly(@TempDir Path dir) throws Exception {
        try (Command local = Command.start("local", "--dir", dir.toString(), "--address", "127.0.0.1", "--port", "0",
                "--status-port", "0", "--access-log", "off", "--drain-delay", "0s")) {
            Matcher m = local.await(LOCAL_STATUS);
            assertThat(m.group(1)).isEqualTo("127.0.0.1");
            int port = Integer.parseInt(m.group(2));
            assertThat(RawHttp.status(RawHttp.exchange(port, "GET /healthz HTTP/1.1\r\nHost: s\r\nConnection: close\r\n\r\n")))
                    .isEqualTo(200);
            for (InetAddress other : otherAddresses()) {
                assertThat(connects(other, port)).as("the status port answers on %s", other.getHostAddress()).isFalse();
            }
        }
    }

    @Test
    void demoBindsItsStatusPortOnLoopbackOnly(@TempDir Path dir) throws Exception {
        int one = StartupTest.reserveFreePort();
        int two = StartupTest.reserveFreePort();
        try (Command demo = Command.start("demo", "--dir", dir.toString(), "--backend-ports", one + "," + two,
                "--address", "127.0.0.1", "--port", "0", "--status-port", "0", "--access-log", "off", "--drain-delay", "0s")) {
            int port = Integer.parseInt(demo.await(DEMO_STATUS).group(1));
            assertThat(connects(InetAddress.getByName("127.0.0.1"), port)).isTrue();
            for (InetAddress other : otherAddresses()) {
                assertThat(connects(other, port)).as("the status port answers on %s", other.getHostAddress()).isFalse();
            }
        }
    }

    @Test
    void statusAddressOpensItWhereAsked(@TempDir Path dir) throws Exception {
        try (Command local = Command.start("local", "--dir", dir.toString(), "--address", "127.0.0.1", "--port", "0",
                "--status-port", "0", "--status-address", "0.0.0.0", "--access-log", "off", "--drain-delay", "0s")) {
            Matcher m = local.await(LOCAL_STATUS);
            assertThat(m.group(1)).isEqualTo("0.0.0.0");
            assertThat(connects(InetAddress.getByName("127.0.0.2"), Integer.parseInt(m.group(2)))).isTrue();
        }
    }

    @Test
    void aBadTrustedProxiesBlockIsRefusedNamingTheFlag(@TempDir Path dir) {
        StringWriter err = new StringWriter();
        CommandLine cli = Gatehouse.commandLine();
        cli.setErr(new PrintWriter(err, true));
        cli.setOut(new PrintWriter(new StringWriter(), true));
        int exit = cli.execute("local", "--dir", dir.toString(), "--trusted-proxies", "10.0.0.0/8,10.0.0.0/33");
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).startsWith("Invalid value for option '--trusted-proxies': '10.0.0.0/33': "
                + "prefix length 33 (expected: 0..32 for an IPv4 block)");
    }

    /** 127.0.0.2, and this host's addresses other than loopback (IPv4 ones: IPv6 may be off in the sandbox). */
    private static List<InetAddress> otherAddresses() throws IOException {
        List<InetAddress> out = new ArrayList<>();
        out.add(InetAddress.getByName("127.0.0.2"));
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nic.isUp() && !nic.isLoopback()) {
                nic.inetAddresses().filter(a -> a instanceof Inet4Address).limit(2).forEach(out::add);
            }
        }
        return out;
    }

    private static boolean connects(InetAddress address, int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), 5_000);
            return true;
        } catch (ConnectException refused) {
            return false;
        }
    }

    /**
     * A {@code gatehouse} command on its own thread, as a user runs it; closing interrupts it as Ctrl-C does.
     * The commands run with {@code --drain-delay 0s}: nothing here is about the drain, whose default 5 s
     * each close otherwise waited out.
     */
    private static final class Command implements AutoCloseable {
        private final StringWriter out = new StringWriter();
        private final StringWriter err = new StringWriter();
        private final Thread thread;

        private Command(String... args) {
            CommandLine cli = Gatehouse.commandLine();
            cli.setOut(new PrintWriter(out, true));
            cli.setErr(new PrintWriter(err, true));
            thread = new Thread(() -> cli.execute(args), "gatehouse-" + args[0]);
        }

        static Command start(String... args) {
            Command c = new Command(args);
            c.thread.start();
            return c;
        }

        /**
         * The first match of {@code p} in standard output, waited for (bounded: 120 s; a demo's first start in
         * a test JVM, classes loaded and compiled, took over 30 s under two busy loops at load 14).
         */
        Matcher await(Pattern p) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline) {
                Matcher m = p.matcher(out.toString());
                if (m.find()) {
                    return m;
                }
                if (!thread.isAlive()) {
                    fail("the command ended; stderr: " + err);
                }
                Thread.sleep(10);
            }
            throw new AssertionError("no " + p + " on standard output within 120 s; stdout: " + out + " stderr: " + err);
        }

        @Override
        public void close() throws InterruptedException {
            thread.interrupt();
            thread.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(thread.isAlive()).as("the command stopped").isFalse();
        }
    }
}
