package dev.gatehouse.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every client-side limit over real sockets: the status a careful proxy gives, a JSON body with
 * the request id, the connection closed, the backend untouched, and the counter of its reason.
 */
class ClientLimitsTest extends OneProxy {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private RawBackend backend;

    private void start(ClientLimits limits) throws IOException {
        backend = rawBackend();
        proxy = ProxyServer.start(Fixtures.config().withLimits(limits), registry);
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").paths("/").build(),
                        route("default/upload", "default/s").paths("/upload").maxBodySize(10).build()),
                List.of(upstream("default/u", backend.port())), List.of()))).isEmpty();
    }

    private double refused(String reason) {
        Counter c = registry.find("gatehouse.client.refused").tag("reason", reason).counter();
        return c == null ? -1 : c.count();
    }

    private static void assertProxyAnswer(TestClient.Response r, int status, String message) {
        assertThat(r.status()).isEqualTo(status);
        assertThat(r.header("content-type")).isEqualTo("application/json");
        assertThat(r.body()).contains(message).contains("\"request_id\":\"" + r.header("x-request-id") + "\"");
        assertThat(r.header("connection")).isEqualTo("close");
    }

    @Test
    void slowlorisGets408AtTheHeadDeadlineEvenWhileBytesTrickleIn() throws Exception {
        start(ClientLimits.DEFAULTS.withRequestHeadTimeout(Duration.ofMillis(600)));
        try (TestClient c = new TestClient(proxy.port())) {
            long start = System.nanoTime();
            c.write("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ");
            TestClient.Response r = null;
            // a byte every 50 ms for up to 20 s: the 408 must come at the 600 ms deadline, long before the trickle
            // ends (a timer each byte reset would answer only then); how soon after 600 ms is the machine's load
            for (int i = 0; i < 400 && r == null; i++) {
                Thread.sleep(50);
                if (c.available() > 0) {
                    r = c.read(false);
                } else {
                    c.write("a"); // each byte would reset an idle timer
                }
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertThat(r).as("a response before the trickle ended").isNotNull();
            assertProxyAnswer(r, 408, "request head not received within 600 ms");
            assertThat(millis).as("ms until the 408: at the deadline, not at the trickle's end").isBetween(500L, 10_000L);
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(backend.connections()).isZero();
        assertThat(refused("head_timeout")).isEqualTo(1);
    }

    @Test
    void aHeadSplitAcrossPacketsWithinTheDeadlineIsServed() throws Exception {
        start(ClientLimits.DEFAULTS.withRequestHeadTimeout(Duration.ofMillis(2_000)));
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("GET /split HTTP/1.1\r\n");
            Thread.sleep(300);
            c.write("Host: x\r\n\r\n");
            assertThat(c.read(false).body()).isEqualTo("GET /split");
            // the deadline starts again with the next request: a keep-alive pause is not head time
            Thread.sleep(2_200);
            c.write("GET /again HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(c.read(false).body()).isEqualTo("GET /again");
        }
        assertThat(refused("head_timeout")).isZero();
    }

    @Test
    void theLastRequestOfAConnectionSaysCloseAndTheConnectionCloses() throws Exception {
        start(ClientLimits.DEFAULTS.withMaxRequestsPerConnection(3));
        try (TestClient c = new TestClient(proxy.port())) {
            for (int i = 1; i <= 3; i++) {
                c.write("GET /" + i + " HTTP/1.1\r\nHost: x\r\n\r\n");
                TestClient.Response r = c.read(false);
                assertThat(r.status()).isEqualTo(200);
                assertThat(r.header("connection")).as("request " + i).isEqualTo(i == 3 ? "close" : null);
            }
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(backend.requests).hasSize(3);
        assertThat(refused("max_requests")).isEqualTo(1);
    }

    @Test
    void aLongRequestLineIs414AtTheConfiguredLimit() throws Exception {
        start(new ClientLimits(Duration.ofSeconds(10), Duration.ofSeconds(60), 1000, 1024, 61440, 100, 10_000));
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("GET /" + "a".repeat(1100) + " HTTP/1.1\r\nHost: x\r\n\r\n");
            assertProxyAnswer(c.read(false), 414, "at most 1024 bytes");
        }
        TestClient.Response ok = TestClient.get(proxy.port(), "/" + "a".repeat(900));
        assertThat(ok.status()).isEqualTo(200);
        assertThat(refused("request_line")).isEqualTo(1);
    }

    @Test
    void tooManyHeadersAndTooLargeAHeaderBlockAre431() throws Exception {
        start(ClientLimits.DEFAULTS.withMaxHeaders(10));
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("GET / HTTP/1.1\r\nHost: x\r\n" + "X-H: v\r\n".repeat(10) + "\r\n");
            assertProxyAnswer(c.read(false), 431, "too many header fields (expected: at most 10)");
        }
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(62_000) + "\r\n\r\n");
            assertProxyAnswer(c.read(false), 431, "at most 61440 bytes");
        }
        assertThat(TestClient.get(proxy.port(), "/", "X-A", "1", "X-B", "2").status()).as("9 headers pass").isEqualTo(200);
        assertThat(backend.requests).hasSize(1);
        assertThat(refused("header_size")).isEqualTo(2);
    }

    @Test
    void aDeclaredBodyAboveMaxBodySizeIs413BeforeAnythingGoesUpstream() throws Exception {
        start(ClientLimits.DEFAULTS);
        long logged = dev.gatehouse.proxy.http.RequestGate.REQUEST_REFUSED.occurrences();
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world");
            assertProxyAnswer(c.read(false), 413, "at most 10 bytes, the route's maxBodySize");
            assertThat(c.closedByServer()).isTrue();
        }
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nhelloworld");
            assertThat(c.read(false).status()).as("at the limit").isEqualTo(200);
        }
        assertThat(backend.requests).hasSize(1);
        assertThat(backend.requests.get(0).body()).hasSize(10);
        assertThat(refused("body_size")).isEqualTo(1);
        assertThat(dev.gatehouse.proxy.http.RequestGate.REQUEST_REFUSED.occurrences()).as("one event=request.refused line")
                .isEqualTo(logged + 1);
    }

    @Test
    void aChunkedBodyPassingMaxBodySizeAbortsTheUpstreamExchange() throws Exception {
        start(ClientLimits.DEFAULTS);
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n");
            Thread.sleep(100);
            c.write("6\r\nworld!\r\n0\r\n\r\n");
            assertProxyAnswer(c.read(false), 413, "at most 10 bytes");
            assertThat(c.closedByServer()).isTrue();
        }
        Thread.sleep(50);
        assertThat(backend.requests).as("the backend never got a complete request").isEmpty();
        assertThat(backend.leftover()).doesNotContain("world");
        assertThat(refused("body_size")).isEqualTo(1);
    }

    @Test
    void connectionsBeyondTheMaximumAreClosedAtOnceAndCounted() throws Exception {
        start(ClientLimits.DEFAULTS.withMaxConnections(2));
        try (TestClient a = new TestClient(proxy.port()); TestClient b = new TestClient(proxy.port())) {
            for (TestClient c : List.of(a, b)) {
                c.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(c.read(false).status()).isEqualTo(200);
            }
            try (Socket third = new Socket("127.0.0.1", proxy.port())) {
                third.setSoTimeout(5_000);
                third.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
                InputStream in = third.getInputStream();
                int first;
                try {
                    first = in.read();
                } catch (java.net.SocketException reset) {
                    first = -1;
                }
                assertThat(first).as("closed without a response").isEqualTo(-1);
            }
            assertThat(refused("max_connections")).isEqualTo(1);
        }
        // once one closes, a new connection is served (the count drops on close, asynchronously)
        TestClient.Response r = null;
        for (int i = 0; i < 50 && r == null; i++) {
            try {
                r = TestClient.get(proxy.port(), "/after");
            } catch (IOException closed) {
                Thread.sleep(20);
            }
        }
        assertThat(r).isNotNull();
        assertThat(r.status()).isEqualTo(200);
    }
}
