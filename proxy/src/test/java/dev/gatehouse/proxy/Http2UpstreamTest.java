package dev.gatehouse.proxy;

import dev.gatehouse.config.Service;
import dev.gatehouse.config.Upstream;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * h2c services: HTTP/1.1 clients through the proxy to HTTP/2 targets (prior knowledge), one
 * multiplexed connection per event loop and target. The backend records the frames it got.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class Http2UpstreamTest extends ProxyTestBase {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final UpstreamConnectionCounts counts = new UpstreamConnectionCounts(registry);

    private H2cBackend h2c(String name, int maxConcurrentStreams) throws InterruptedException {
        H2cBackend b = new H2cBackend(name, maxConcurrentStreams);
        closeables.add(b);
        return b;
    }

    private void serve(ProxyConfig config, Upstream upstream) {
        proxy = ProxyServer.start(config, registry);
        Service svc = new Service("default/h2", Fixtures.source("GatewayService", "default/h2"), upstream.id(),
                Service.Protocol.H2C, "/", null, 5, new Service.Timeouts(2_000, 10_000, 10_000));
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(svc), List.of(route("default/r", "default/h2").paths("/").build()),
                List.of(upstream), List.of()))).isEmpty();
    }

    @Test
    void requestReachesTheTargetAsHttp2FramesAndTheResponseComesBack() throws Exception {
        H2cBackend b = h2c("b1", 0);
        serve(Fixtures.config(), upstream("default/up", b.port()));
        try (Http1Client c = new Http1Client(proxy.port())) {
            c.write("POST /echo/x?q=1 HTTP/1.1\r\nHost: api.example\r\nX-Custom: a\r\nConnection: keep-alive, x-hop\r\n"
                    + "X-Hop: 1\r\nContent-Length: 5\r\n\r\nhello");
            Http1Client.Reply r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("x-backend")).isEqualTo("b1");
            assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("hello");
            assertThat(r.headers()).doesNotContainKeys("x-http2-stream-id", "trailer");
            assertThat(r.header("via")).isEqualTo("1.1 gatehouse");
        }
        H2cBackend.Seen s = b.seen.get(0);
        assertThat(s.header(":method")).isEqualTo("POST");
        assertThat(s.header(":path")).isEqualTo("/echo/x?q=1");
        assertThat(s.header(":scheme")).isEqualTo("http");
        assertThat(s.header(":authority")).isEqualTo("127.0.0.1:" + b.port());
        assertThat(s.header("te")).isEqualTo("trailers");
        assertThat(s.header("x-custom")).isEqualTo("a");
        assertThat(s.header("content-length")).isEqualTo("5");
        assertThat(s.header("x-forwarded-host")).isEqualTo("api.example");
        assertThat(s.headers()).doesNotContainKeys("connection", "x-hop", "host", "transfer-encoding", "keep-alive",
                "x-http2-scheme");
        assertThat(s.bodyText()).isEqualTo("hello");
        assertThat(s.trailers()).isEmpty();
    }

    @Test
    void responseTrailersReachOnlyAClientThatSaidTeTrailers() throws Exception {
        H2cBackend b = h2c("b1", 0);
        serve(Fixtures.config(), upstream("default/up", b.port()));
        try (Http1Client c = new Http1Client(proxy.port())) {
            c.write("POST /trailers HTTP/1.1\r\nHost: a\r\nTE: trailers\r\nContent-Length: 3\r\n\r\nabc");
            Http1Client.Reply r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.chunked()).isTrue();
            assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("b1 POST /trailers");
            assertThat(r.trailers()).containsEntry("x-checksum", "3").containsEntry("grpc-status", "0");

            c.write("GET /trailers HTTP/1.1\r\nHost: a\r\n\r\n");
            Http1Client.Reply without = c.read();
            assertThat(without.status()).isEqualTo(200);
            assertThat(new String(without.body(), StandardCharsets.UTF_8)).isEqualTo("b1 GET /trailers");
            assertThat(without.trailers()).isEmpty();
        }
    }

    @Test
    void requestTrailersAreForwarded() throws Exception {
        H2cBackend b = h2c("b1", 0);
        serve(Fixtures.config(), upstream("default/up", b.port()));
        try (Http1Client c = new Http1Client(proxy.port())) {
            c.write("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "4\r\nabcd\r\n3\r\nefg\r\n0\r\nX-Req-Checksum: 7\r\n\r\n");
            Http1Client.Reply r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("abcdefg");
        }
        H2cBackend.Seen s = b.seen.get(0);
        assertThat(s.bodyText()).isEqualTo("abcdefg");
        assertThat(s.trailers()).containsExactly(java.util.Map.entry("x-req-checksum", "7"));
        assertThat(s.headers()).doesNotContainKeys("transfer-encoding", "content-length");
    }

    /** One event loop: every request of the test, sequential or concurrent, shares one HTTP/2 connection. */
    @Test
    void hundredRequestsShareOneConnectionPerLoop() throws Exception {
        H2cBackend b = h2c("b1", 0);
        serve(Fixtures.oneLoopConfig(), upstream("default/up", b.port()));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                done.add(pool.submit(() -> {
                    int ok = 0;
                    try (Http1Client c = new Http1Client(proxy.port())) {
                        for (int i = 0; i < 25; i++) {
                            c.write("GET /n/" + i + " HTTP/1.1\r\nHost: a\r\n\r\n");
                            if (c.read().status() == 200) {
                                ok++;
                            }
                        }
                    }
                    return ok;
                }));
            }
            for (Future<Integer> f : done) {
                assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo(25);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(b.seen).hasSize(100);
        assertThat(b.connections.get()).isEqualTo(1);
        assertThat(counts.opened()).as("one connection counted, not a hundred streams").isEqualTo(1);
        assertThat(counts.closedInAll()).isZero();
    }

    /** The target allows 2 streams per connection: 4 calls in flight at once need a second connection, and all succeed. */
    @Test
    void fullConnectionOpensAnotherOne() throws Exception {
        H2cBackend b = h2c("b1", 2);
        b.holdUntil = 4;
        serve(Fixtures.oneLoopConfig(), upstream("default/up", b.port()));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Http1Client.Reply>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int n = t;
                done.add(pool.submit(() -> {
                    try (Http1Client c = new Http1Client(proxy.port())) {
                        c.write("GET /hold/" + n + " HTTP/1.1\r\nHost: a\r\n\r\n");
                        return c.read();
                    }
                }));
            }
            for (Future<Http1Client.Reply> f : done) {
                assertThat(f.get(30, TimeUnit.SECONDS).status()).isEqualTo(200);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(b.connections.get()).isEqualTo(2);
        assertThat(b.maxOpenPerConnection.get()).isLessThanOrEqualTo(2);
        assertThat(b.streams.get()).isEqualTo(4);
    }

    /**
     * A GOAWAY below the proxy's stream: the request was not processed, so even a POST goes to the
     * other target; and no new stream opens on the connection that said GOAWAY.
     */
    @Test
    void streamAboveGoAwayIsRetriedElsewhereAndThatConnectionTakesNoMoreStreams() throws Exception {
        H2cBackend leaving = h2c("leaving", 0);
        leaving.goAwayOnFirstStream = true;
        H2cBackend staying = h2c("staying", 0);
        serve(Fixtures.oneLoopConfig(), upstream("default/up", leaving.port(), staying.port()));
        try (Http1Client c = new Http1Client(proxy.port())) {
            for (int i = 0; i < 6; i++) {
                c.write("POST /p/" + i + " HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
                Http1Client.Reply r = c.read();
                assertThat(r.status()).as("request " + i).isEqualTo(200);
                assertThat(r.header("x-backend")).isEqualTo("staying");
            }
        }
        assertThat(leaving.streams.get()).isPositive();
        assertThat(leaving.seen).isEmpty();
        assertThat(leaving.connections.get()).as("one connection per refused stream").isEqualTo(leaving.streams.get());
        assertThat(staying.seen).hasSize(6);
    }

    /**
     * A client that stops reading a 32 MiB response holds the target back through HTTP/2 flow
     * control: the target can send only what the stream window and the socket buffers on the way
     * hold (about 4.5 MiB here, most of it the kernel's send buffer towards the client), and the
     * rest arrives intact once the client reads again.
     */
    @Test
    void slowClientHoldsTheTargetBackThroughFlowControl() throws Exception {
        H2cBackend b = h2c("b1", 0);
        serve(Fixtures.oneLoopConfig(), upstream("default/up", b.port()));
        long size = 32L * 1024 * 1024;
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", proxy.port())) {
            s.setReceiveBufferSize(64 * 1024);
            s.getOutputStream().write(("GET /big/" + size + " HTTP/1.1\r\nHost: a\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (b.bigSent.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            long last = -1;
            while (b.bigSent.get() != last && System.nanoTime() < deadline) {
                last = b.bigSent.get();
                Thread.sleep(500); // bounded poll: the target stops once every window and buffer on the way is full
            }
            assertThat(b.bigSent.get()).as("bytes the target could send while the client read nothing")
                    .isPositive().isLessThan(12L * 1024 * 1024);
            java.io.InputStream in = new java.io.BufferedInputStream(s.getInputStream());
            long body = 0;
            String head = "";
            while (!head.endsWith("\r\n\r\n")) {
                head += (char) in.read();
            }
            assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("transfer-encoding: chunked");
            for (long chunk = readChunkSize(in); chunk > 0; chunk = readChunkSize(in)) {
                in.skipNBytes(chunk);
                body += chunk;
                in.read();
                in.read();
            }
            assertThat(body).isEqualTo(size);
        }
        assertThat(b.bigSent.get()).isEqualTo(size);
    }

    private static long readChunkSize(java.io.InputStream in) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new java.io.EOFException("response cut short");
            }
            if (c != '\r') {
                sb.append((char) c);
            }
        }
        return Long.parseLong(sb.toString().split(";")[0].trim(), 16);
    }

    /** REFUSED_STREAM means "not processed" (RFC 9113 §8.7): a POST goes to the other target. Any other reset of a sent POST is a 502. */
    @Test
    void refusedStreamIsRetriedElsewhereButOtherResetsOfAPostAreNot() throws Exception {
        H2cBackend refusing = h2c("refusing", 0);
        refusing.resetWith = io.netty.handler.codec.http2.Http2Error.REFUSED_STREAM;
        H2cBackend staying = h2c("staying", 0);
        serve(Fixtures.oneLoopConfig(), upstream("default/up", refusing.port(), staying.port()));
        try (Http1Client c = new Http1Client(proxy.port())) {
            for (int i = 0; i < 4; i++) {
                c.write("POST /p/" + i + " HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
                Http1Client.Reply r = c.read();
                assertThat(r.status()).as("request " + i).isEqualTo(200);
                assertThat(r.header("x-backend")).isEqualTo("staying");
            }
        }
        assertThat(refusing.streams.get()).isPositive();
        assertThat(staying.seen).hasSize(4);

        refusing.resetWith = io.netty.handler.codec.http2.Http2Error.INTERNAL_ERROR;
        int before = staying.seen.size();
        int statuses502 = 0;
        for (int i = 0; i < 4; i++) {
            try (Http1Client c = new Http1Client(proxy.port())) {
                c.write("POST /q/" + i + " HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
                Http1Client.Reply r = c.read();
                if (r.status() == 502) {
                    statuses502++;
                } else {
                    assertThat(r.header("x-backend")).isEqualTo("staying");
                }
            }
        }
        assertThat(statuses502).as("POSTs the reset target took first").isPositive();
        assertThat(staying.seen.size() - before).isEqualTo(4 - statuses502);
    }

    /** A target that leaves the snapshot loses its HTTP/2 connection (GOAWAY, close); a target that stays keeps its own. */
    @Test
    void connectionOfATargetThatLeftTheSnapshotIsClosed() throws Exception {
        H2cBackend leaving = h2c("leaving", 0);
        H2cBackend staying = h2c("staying", 0);
        serve(Fixtures.oneLoopConfig(), upstream("default/up", leaving.port(), staying.port()));
        for (int i = 0; i < 2; i++) {
            assertThat(TestClient.get(proxy.port(), "/x").status()).isEqualTo(200);
        }
        assertThat(leaving.connections.get()).isEqualTo(1);
        assertThat(staying.connections.get()).isEqualTo(1);
        Service svc = new Service("default/h2", Fixtures.source("GatewayService", "default/h2"), "default/up",
                Service.Protocol.H2C, "/", null, 5, new Service.Timeouts(2_000, 10_000, 10_000));
        assertThat(proxy.apply(Fixtures.snapshot(2, List.of(svc), List.of(route("default/r", "default/h2").paths("/").build()),
                List.of(upstream("default/up", staying.port())), List.of()))).isEmpty();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (leaving.closedConnections.get() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(leaving.closedConnections.get()).isEqualTo(1);
        assertThat(counts.closed("target_removed", 1, Duration.ofSeconds(10))).isEqualTo(1);
        assertThat(counts.opened()).isEqualTo(2);
        for (int i = 0; i < 2; i++) {
            TestClient.Response r = TestClient.get(proxy.port(), "/x");
            assertThat(r.header("x-backend")).isEqualTo("staying");
        }
        assertThat(staying.connections.get()).isEqualTo(1);
        assertThat(staying.closedConnections.get()).isZero();
    }

    @Test
    void unreachableTargetIsRetriedOnTheNextOne() throws Exception {
        H2cBackend b = h2c("b1", 0);
        int dead;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        serve(Fixtures.oneLoopConfig(), upstream("default/up", dead, b.port()));
        for (int i = 0; i < 4; i++) {
            TestClient.Response r = TestClient.get(proxy.port(), "/x");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("x-backend")).isEqualTo("b1");
        }
    }

    /** An HTTP/1.1-only target never sends SETTINGS: the attempt fails as not sent, 502. */
    @Test
    void targetThatDoesNotSpeakHttp2Is502() throws Exception {
        Backend http1 = backend("old");
        serve(Fixtures.oneLoopConfig(), upstream("default/up", http1.port()));
        TestClient.Response r = TestClient.get(proxy.port(), "/x");
        assertThat(r.status()).isEqualTo(502);
        assertThat(r.body()).contains("An invalid response was received from the upstream server");
        assertThat(http1.seen).isEmpty();
    }
}
