package dev.gatehouse.app;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotCodec;
import dev.gatehouse.controller.channel.ChannelServer;
import dev.gatehouse.controller.channel.ChannelServerConfig;
import dev.gatehouse.proxy.ProxyConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * {@code gatehouse local} and {@code gatehouse demo} open the proxy port only once they serve the
 * directory: a client that spins on connect and sends {@code GET /} the moment the port accepts is
 * answered by the route in the files, never by a 404; and the banner never shows while the port
 * is still closed. Each run is a fresh command on a reserved port, several times, so the race
 * between "port open" and "first snapshot applied" is really run. {@code local} binds its ports
 * before anything it binds to port 0, so none of those can take the reserved port. When the port
 * cannot be opened, {@code local} and {@code proxy} exit 1 with one line naming address, port and
 * cause ({@code local}: and the flag, before it binds anything else).
 */
class StartupTest {
    private static final int ROUNDS = 3;
    private static final long START_MILLIS = 30_000;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void localAnswersTheVeryFirstRequestFromItsFiles(@TempDir Path dir) throws Exception {
        try (DemoBackend one = DemoBackend.start("127.0.0.1", 0, "replica-1");
             DemoBackend two = DemoBackend.start("127.0.0.1", 0, "replica-2")) {
            writeSeed(dir, one.port(), two.port());
            for (int round = 1; round <= ROUNDS; round++) {
                int port = reserveFreePort();
                try (Running local = Running.start("Gatehouse serves", "local", "--dir", dir.toString(), "--address", "127.0.0.1",
                        "--port", Integer.toString(port), "--status-port", "0", "--access-log", "off", "--drain-delay", "0s")) {
                    assertThat(firstExchange(port, local)).as("round %d: the first answer", round).startsWith("HTTP/1.1 200 ")
                            .containsIgnoringCase("X-Served-By: replica-").endsWith("Hello from my service");
                    local.awaitBanner();
                    assertThat(local.out()).contains("Gatehouse serves " + dir + " on 127.0.0.1:" + port);
                }
            }
        }
    }

    @Test
    void demoAnswersTheVeryFirstRequestFromTheSeed(@TempDir Path dir) throws Exception {
        for (int round = 1; round <= 2; round++) {
            int one = reserveFreePort();
            int two = reserveFreePort();
            writeSeed(dir, one, two);
            int port = reserveFreePort();
            try (Running demo = Running.start("Gatehouse demo:", "demo", "--dir", dir.toString(), "--backend-ports", one + "," + two,
                    "--address", "127.0.0.1", "--port", Integer.toString(port), "--status-port", "0", "--access-log", "off",
                    "--drain-delay", "0s")) {
                assertThat(firstExchange(port, demo)).as("round %d: the first answer", round).startsWith("HTTP/1.1 200 ")
                        .containsIgnoringCase("X-Served-By: replica-").endsWith("Hello from my service");
                demo.awaitBanner();
                assertThat(demo.out()).contains("curl -i http://localhost:" + port + "/profile");
            }
        }
    }

    /** An empty directory is a snapshot too: the port opens (404 for every request) and the proxy is ready. */
    @Test
    void localOnAnEmptyDirectoryOpensItsPort(@TempDir Path dir) throws Exception {
        int port = reserveFreePort();
        try (LocalRuntime local = LocalRuntime.start(dir, new ProxyConfig("127.0.0.1", port, 1, Duration.ofSeconds(1)), 0)) {
            assertThat(local.port()).isEqualTo(port);
            assertThat(get(port, "/").statusCode()).isEqualTo(404);
            assertThat(get(local.statusPort(), "/readyz").statusCode()).isEqualTo(200);
        }
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The proxy's ports are bound before anything the command binds to port 0 (its channel
     * listener, a status port 0, the channel client's own end), so the kernel can never give one
     * of those a port the user chose, whatever the range: the log says so in its order, and the
     * ports it names differ. The TLS port is among them when the directory's first snapshot
     * opens it. The port accepts only once that snapshot has come through the channel.
     */
    @Test
    void localBindsItsPortsBeforeAnythingItBindsToPortZero(@TempDir Path dir) throws Exception {
        Path logs = Files.createTempFile("startup-test", ".log");
        try (DemoBackend one = DemoBackend.start("127.0.0.1", 0, "replica-1")) {
            DemoTlsTest.writeDir(dir, one.port(), one.port());
            int port = reserveFreePort();
            int tlsPort = reserveFreePort();
            List<String> lines;
            try (LogFile log = new LogFile(logs);
                 Running local = Running.start("Gatehouse serves", "local", "--dir", dir.toString(), "--address", "127.0.0.1",
                         "--port", Integer.toString(port), "--tls-port", Integer.toString(tlsPort), "--status-port", "0",
                         "--access-log", "off", "--drain-delay", "0s")) {
                local.awaitBanner();
                assertThat(local.out()).contains("on 127.0.0.1:" + port + " and TLS on " + tlsPort);
                lines = log.read().lines().toList();
            }
            int bound = lineOf(lines, "event=proxy.bound listener=http address=127.0.0.1 port=" + port + " ");
            int tlsBound = lineOf(lines, "event=proxy.bound listener=https address=127.0.0.1 port=" + tlsPort + " ");
            int channel = lineOf(lines, "event=channel.listening ");
            int status = lineOf(lines, "event=status.listening ");
            assertThat(List.of(bound, tlsBound)).as("the proxy's ports, bound before the channel and the status port")
                    .allMatch(line -> line < channel && line < status);
            assertThat(List.of(portIn(lines.get(channel)), portIn(lines.get(status)))).as("the ports given for port 0")
                    .doesNotContain(port, tlsPort);
            assertThat(lineOf(lines, "event=proxy.listening listener=http ")).as("accepting, once the snapshot came")
                    .isGreaterThan(channel);
        } finally {
            Files.deleteIfExists(logs);
        }
    }

    /** A taken port ends the command before it binds anything else: its channel and status port never listen. */
    @Test
    void localExitsNamingThePortItCannotOpen(@TempDir Path dir) throws Exception {
        try (DemoBackend one = DemoBackend.start("127.0.0.1", 0, "replica-1");
             ServerSocket holder = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            writeSeed(dir, one.port(), one.port());
            int port = holder.getLocalPort();
            Running local = exitsBeforeBindingAnythingElse("local", "--dir", dir.toString(), "--address", "127.0.0.1",
                    "--port", Integer.toString(port), "--status-port", "0", "--access-log", "off");
            assertThat(local.err()).startsWith("gatehouse local: --port: cannot listen on 127.0.0.1:" + port + ": ")
                    .contains("free the port or choose another one");
        }
    }

    /** The TLS port too, when the directory's first snapshot opens it. */
    @Test
    void localExitsNamingTheTlsPortItCannotOpen(@TempDir Path dir) throws Exception {
        try (DemoBackend one = DemoBackend.start("127.0.0.1", 0, "replica-1");
             ServerSocket holder = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            DemoTlsTest.writeDir(dir, one.port(), one.port());
            int tlsPort = holder.getLocalPort();
            Running local = exitsBeforeBindingAnythingElse("local", "--dir", dir.toString(), "--address", "127.0.0.1",
                    "--port", Integer.toString(reserveFreePort()), "--tls-port", Integer.toString(tlsPort), "--status-port", "0",
                    "--access-log", "off");
            assertThat(local.err()).startsWith("gatehouse local: --tls-port: cannot listen on 127.0.0.1:" + tlsPort + " (TLS port): ")
                    .contains("free the port or choose another one");
        }
    }

    /** Runs the command to its end: exit 1, no banner, and neither a channel nor a status port listened meanwhile. */
    private static Running exitsBeforeBindingAnythingElse(String... args) throws Exception {
        Path logs = Files.createTempFile("startup-test", ".log");
        try (LogFile log = new LogFile(logs)) {
            Running command = Running.start("Gatehouse serves", args);
            command.awaitExit();
            assertThat(command.exit).isEqualTo(1);
            assertThat(command.out()).doesNotContain("Gatehouse serves");
            assertThat(log.read()).as("the log of the failed start").contains("event=proxy.listen-failed")
                    .doesNotContain("event=channel.listening").doesNotContain("event=status.listening");
            return command;
        } finally {
            Files.deleteIfExists(logs);
        }
    }

    /** The index of the first line holding {@code text}; fails when none does. */
    private static int lineOf(List<String> lines, String text) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i;
            }
        }
        return fail("no log line with '" + text + "' in:\n" + String.join("\n", lines));
    }

    /** The {@code port=N} of a log line. */
    private static int portIn(String line) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(" port=(\\d+)").matcher(line);
        assertThat(m.find()).as("a port in: %s", line).isTrue();
        return Integer.parseInt(m.group(1));
    }

    @Test
    void proxyExitsWhenTheControllersFirstSnapshotCannotOpenItsPort(@TempDir Path tmp) throws Exception {
        Path tokenFile = Files.writeString(tmp.resolve("token"), "startup-test-token-0123456789");
        try (ChannelServer controller = ChannelServer.start(new ChannelServerConfig("127.0.0.1", 0, "startup-test-token-0123456789",
                null, null));
             ServerSocket holder = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            controller.publish(new Snapshot(1, List.of(), List.of(), List.of(), List.of()));
            int port = holder.getLocalPort();
            Running proxy = Running.start("", "proxy", "--controller", "ws://127.0.0.1:" + controller.port() + ChannelServer.PATH,
                    "--token-file", tokenFile.toString(), "--proxy-id", "startup-test", "--address", "127.0.0.1",
                    "--port", Integer.toString(port), "--status-port", "0", "--access-log", "off");
            proxy.awaitExit();
            assertThat(proxy.exit).isEqualTo(1);
            assertThat(proxy.err()).startsWith("gatehouse proxy: cannot listen on 127.0.0.1:" + port + ": ");
        }
    }

    @Test
    void proxyExitsWhenItsPersistedSnapshotCannotOpenItsPort(@TempDir Path tmp) throws Exception {
        Path tokenFile = Files.writeString(tmp.resolve("token"), "startup-test-token-0123456789");
        Path stateDir = Files.createDirectories(tmp.resolve("state"));
        Files.write(stateDir.resolve("snapshot.json"), SnapshotCodec.toJson(new Snapshot(7, List.of(), List.of(), List.of(), List.of())));
        int noController = reserveFreePort();
        try (ServerSocket holder = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            int port = holder.getLocalPort();
            Running proxy = Running.start("", "proxy", "--controller", "ws://127.0.0.1:" + noController + ChannelServer.PATH,
                    "--token-file", tokenFile.toString(), "--state-dir", stateDir.toString(), "--proxy-id", "startup-test",
                    "--address", "127.0.0.1", "--port", Integer.toString(port), "--status-port", "0", "--access-log", "off");
            proxy.awaitExit();
            assertThat(proxy.exit).isEqualTo(1);
            assertThat(proxy.err()).startsWith("gatehouse proxy: cannot listen on 127.0.0.1:" + port + ": ");
        }
    }

    static void writeSeed(Path dir, int one, int two) throws IOException {
        Files.writeString(dir.resolve("seed.yaml"), Files.readString(Path.of("../examples/seed/seed.yaml"))
                .replace("localhost:9001", "127.0.0.1:" + one)
                .replace("localhost:9002", "127.0.0.1:" + two));
    }

    /** A port that was free a moment ago: bound to 0 on loopback, read, closed. */
    static int reserveFreePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * Connects to {@code port} again and again, with no pause, until it accepts; then at once
     * sends {@code GET /} on that connection and returns the whole reply. The banner must not be
     * out before a connect that is refused (read before the connect: the port may open between).
     */
    private static String firstExchange(int port, Running command) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_MILLIS);
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        while (true) {
            String printed = command.out();
            Socket socket = new Socket();
            try {
                socket.connect(address, 1_000);
            } catch (ConnectException refused) {
                socket.close();
                assertThat(printed).as("the banner, printed before a refused connect").doesNotContain(command.banner);
                if (!command.thread.isAlive()) {
                    fail("the command ended before its port opened; exit " + command.exit + ", stderr: " + command.err());
                }
                if (System.nanoTime() > deadline) {
                    fail("the port did not open within " + START_MILLIS + " ms; stderr: " + command.err());
                }
                continue;
            }
            try (socket) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                InputStream in = socket.getInputStream();
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
        }
    }

    /**
     * One {@code gatehouse} command run on a thread of its own, as a user runs it; closing
     * interrupts it, which stops it as Ctrl-C does (its resources close in order).
     */
    static final class Running implements AutoCloseable {
        final String banner;
        final Thread thread;
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        volatile int exit = -1;

        private Running(String banner, String... args) {
            this.banner = banner;
            CommandLine cli = Gatehouse.commandLine();
            cli.setOut(new PrintWriter(out, true));
            cli.setErr(new PrintWriter(err, true));
            this.thread = new Thread(() -> exit = cli.execute(args), "gatehouse-" + args[0]);
        }

        static Running start(String banner, String... args) {
            Running r = new Running(banner, args);
            r.thread.start();
            return r;
        }

        String out() {
            return out.toString();
        }

        String err() {
            return err.toString();
        }

        /** For a command that fails: it must end by itself within 20 s. */
        void awaitExit() throws InterruptedException {
            thread.join(TimeUnit.SECONDS.toMillis(20));
            assertThat(thread.isAlive()).as("the command ended by itself; stderr: %s", err()).isFalse();
        }

        /**
         * A bounded poll for the banner: once the port serves it follows at once; from the start (as
         * DemoTlsTest waits) it comes within the start's bound, which a cold JVM on a loaded
         * machine needs (10 s was missed at load 13 on 2 cores, before and after the ports were bound first).
         */
        void awaitBanner() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_MILLIS);
            while (!hasBannerLine() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(out()).as("the banner").contains(banner);
            assertThat(hasBannerLine()).as("the banner's whole line: %s", out()).isTrue();
        }

        /**
         * The banner's line has been written to its end: printf writes it in pieces, and a read
         * between two pieces sees only its start (it met "Gatehouse serves " once).
         */
        private boolean hasBannerLine() {
            String o = out();
            int at = o.indexOf(banner);
            return at >= 0 && o.indexOf('\n', at) >= 0;
        }

        @Override
        public void close() throws InterruptedException {
            thread.interrupt();
            thread.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(thread.isAlive()).as("the command stopped").isFalse();
        }
    }
}
