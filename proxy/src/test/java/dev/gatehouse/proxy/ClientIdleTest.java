package dev.gatehouse.proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/** Client connections silent for the idle timeout are closed unless a target is still working. */
class ClientIdleTest {
    private static final long BIG = 64L * 1024 * 1024;
    private Backend backend;
    private ProxyServer proxy;

    @BeforeEach
    void start() throws Exception {
        backend = new Backend("b", (ex, s) -> {
            if (s.uri().startsWith("/slow")) {
                try {
                    Thread.sleep(800);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (s.uri().startsWith("/big")) {
                ex.sendResponseHeaders(200, BIG);
                byte[] chunk = new byte[64 * 1024];
                try (var out = ex.getResponseBody()) {
                    for (long sent = 0; sent < BIG; sent += chunk.length) {
                        out.write(chunk);
                    }
                } catch (java.io.IOException e) {
                    // the proxy closed the target's connection: expected when the client stopped reading
                }
                return;
            }
            Backend.respond(ex, 200, "done");
        });
        proxy = ProxyServer.start(Fixtures.config().withLimits(ClientLimits.DEFAULTS.withIdleTimeout(java.time.Duration.ofMillis(300))));
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").build()), List.of(upstream("default/u", backend.port())), List.of()))).isEmpty();
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    @Test
    void idleKeepAliveAndHalfSentHeadsAreClosed() throws Exception {
        try (TestClient idle = new TestClient(proxy.port()); TestClient partial = new TestClient(proxy.port())) {
            idle.write("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(idle.read(false).status()).isEqualTo(200);
            partial.write("GET / HTTP/1.1\r\nHost: a\r\n");
            long start = System.nanoTime();
            assertThat(idle.closedByServer()).isTrue();
            assertThat(partial.closedByServer()).isTrue();
            // closed by the 300 ms idle timeout, not left open until the client's own 10 s read timeout
            assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(9_000);
        }
    }

    @Test
    void stalledRequestBodyIsClosedButASlowTargetIsWaitedFor() throws Exception {
        try (TestClient stalled = new TestClient(proxy.port())) {
            stalled.write("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
            assertThat(stalled.closedByServer()).isTrue();
        }
        TestClient.Response slow = TestClient.get(proxy.port(), "/slow");
        assertThat(slow.status()).isEqualTo(200);
        assertThat(slow.body()).isEqualTo("done");
    }

    /**
     * A client that stops reading its response is closed one idle timeout after the relay stopped
     * (the proxy holds the target back meanwhile, so nothing is flushed): counted as
     * {@code idle_timeout}, and the response is cut short.
     */
    @Test
    void aClientThatStopsReadingItsResponseIsClosed() throws Exception {
        try (java.net.Socket s = new java.net.Socket()) {
            s.setReceiveBufferSize(64 * 1024);
            s.connect(new java.net.InetSocketAddress("127.0.0.1", proxy.port()), 10_000);
            s.setSoTimeout(20_000);
            s.getOutputStream().write("GET /big HTTP/1.1\r\nHost: a\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            java.io.InputStream in = s.getInputStream();
            byte[] buf = new byte[64 * 1024];
            long received = in.readNBytes(buf, 0, buf.length); // the head and the start of the body, then nothing
            var counter = proxy.metrics().registry().get("gatehouse.client.refused").tag("reason", "idle_timeout").counter();
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            while (counter.count() < 1 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(counter.count()).as("connections closed by the idle timeout").isEqualTo(1.0);
            try {
                for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                    received += n;
                }
            } catch (java.net.SocketException e) {
                // reset rather than FIN: closed either way
            }
            assertThat(received).as("the response is cut short").isLessThan(BIG);
        }
    }
}
