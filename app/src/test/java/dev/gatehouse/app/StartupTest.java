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
 * between "port open" and "first snapshot applied" is really run. When the port cannot be opened,
 * {@code local} and {@code proxy} exit 1 with one line naming address, port and cause.
 */
class StartupTest {
    private static final int ROUNDS = 3;
    /**
     * The answer of the command's own channel listener. The command binds it, and its status port,
     * to port 0 while the test's reserved port is free again: once in a CI run the kernel gave the
     * channel exactly that port. Such a round says nothing about the proxy and is run again on
     * another port; any other answer is asserted.
     */
    private static final String OWN_CHANNEL = "not found: the channel is at /v1/channel";
    private static final long START_MILLIS = 30_000;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void localAnswersTheVeryFirstRequestFromItsFiles(@TempDir Path dir) throws Exception {
        try (DemoBackend one = DemoBackend.start("127.0.0.1", 0, "replica-1");
             DemoBackend two = DemoBackend.start("127.0.0.1", 0, "replica-2")) {
            writeSeed(dir, one.port(), two.port());
            for (int round = 1, attempt = 1; round <= ROUNDS; attempt++) {
                int port = reserveFreePort();
                try (Running local = Running.start("Gatehouse serves", "local", "--dir", dir.toString(), "--address", "127.0.0.1",
                        "--port", Integer.toString(port), "--status-port", "0", "--access-log", "off", "--drain-delay", "0s")) {
                    String reply = firstExchange(port, local);
                    if (reply.contains(OWN_CHANNEL) && attempt < ROUNDS + 2) {
                        continue; // the reserved port was taken by the command's own channel listener (port 0): another port
                    }
                    assertThat(reply).as("round %d: the first answer", round).startsWith("HTTP/1.1 200 ")
                            .containsIgnoringCase("X-Served-By: replica-").endsWith("Hello from my service");
                    local.awaitBanner();
                    assertThat(local.out()).contains("Gatehouse serves " + dir + " on 127.0.0.1:" + port);
                }
                round++;
            }
        }
    }

    @Test
    void demoAnswersTheVeryFirstRequestFromTheSeed(@TempDir Path dir) throws Exception {
        for (int round = 1, attempt = 1; round <= 2; attempt++) {
            int one = reserveFreePort();
            int two = reserveFreePort();
            writeSeed(dir, one, two);
            int port = reserveFreePort();
            try (Running demo = Running.start("Gatehouse demo:", "demo", "--dir", dir.toString(), "--backend-ports", one + "," + two,
                    "--address", "127.0.0.1", "--port", Integer.toString(port), "--status-port", "0", "--access-log", "off",
                    "--drain-delay", "0s")) {
                String reply = firstExchange(port, demo);
                if (reply.contains(OWN_CHANNEL) && attempt < 4) {
                    continue; // the reserved port was taken by the command's own channel listener (port 0): another port
                }
                assertThat(reply).as("round %d: the first answer", round).startsWith("HTTP/1.1 200 ")
                        .containsIgnoringCase("X-Served-By: replica-").endsWith("Hello from my service");
                demo.awaitBanner();
                assertThat(demo.out()).contains("curl -i http://localhost:" + port + "/profile");
            }
            round++;
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

    @Test
    void localExitsNamingThePortItCannotOpen(@TempDir Path dir) throws Exception {
        try (DemoBackend one = DemoBackend.start("127.0.0.1", 0, "replica-1");
             ServerSocket holder = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            writeSeed(dir, one.port(), one.port());
            int port = holder.getLocalPort();
            Running local = Running.start("Gatehouse serves", "local", "--dir", dir.toString(), "--address", "127.0.0.1",
                    "--port", Integer.toString(port), "--status-port", "0", "--access-log", "off");
            local.awaitExit();
            assertThat(local.exit).isEqualTo(1);
            assertThat(local.err()).startsWith("gatehouse local: cannot listen on 127.0.0.1:" + port + ": ")
                    .contains("free the port or choose another one");
            assertThat(local.out()).doesNotContain("Gatehouse serves");
        }
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

        /** The banner follows the start at once: a bounded poll. */
        void awaitBanner() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!out().contains(banner) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(out()).as("the banner").contains(banner);
        }

        @Override
        public void close() throws InterruptedException {
            thread.interrupt();
            thread.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(thread.isAlive()).as("the command stopped").isFalse();
        }
    }
}
