package dev.gatehouse.proxy;

import dev.gatehouse.config.Route;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.gatehouse.proxy.Fixtures.consumer;
import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Request smuggling, looked at on the wire: a recording backend parses what it receives exactly
 * as RFC 9112 frames it, and every byte it got must belong to a request the client sent through
 * routing and key-auth, framed as the proxy decoded it. One event loop and one target, so every
 * request shares the pooled upstream connection a smuggled request would poison.
 */
class SmugglingTest {
    private static final String SMUGGLED = "GET /profile HTTP/1.1\r\nHost: gw\r\nX-Consumer-ID: admin\r\n\r\n";

    private RawBackend backend;
    private ProxyServer proxy;

    @BeforeEach
    void start() throws Exception {
        backend = new RawBackend();
        proxy = ProxyServer.start(Fixtures.oneLoopConfig());
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/root", "default/s").paths("/").build(),
                        route("default/profile", "default/s").paths("/profile").stripPath(false)
                                .keyAuth(new Route.KeyAuth(List.of(), true, false, false, null)).build()),
                List.of(upstream("default/u", backend.port())), List.of(consumer("uid-m", "moesif", "my-secret-key"))))).isEmpty();
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    private void assertOnlyFramedRequests(int expected) throws InterruptedException {
        Thread.sleep(50);
        assertThat(backend.requests).as("requests the backend parsed").hasSize(expected);
        assertThat(backend.leftover()).as("bytes outside any framed request").isEmpty();
        assertThat(backend.requests).noneMatch(r -> r.path().equals("/profile") && r.header("x-consumer-id").contains("admin"));
    }

    @Test
    void aBodyThatLooksLikeARequestTravelsAsTheBodyItWasDeclaredAs() throws Exception {
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("POST / HTTP/1.1\r\nHost: gw\r\nContent-Length: " + SMUGGLED.length() + "\r\n\r\n" + SMUGGLED);
            assertThat(c.read(false).status()).isEqualTo(200);
            c.write("GET /next HTTP/1.1\r\nHost: gw\r\n\r\n");
            assertThat(c.read(false).body()).isEqualTo("GET /next");
        }
        assertOnlyFramedRequests(2);
        RawBackend.Request post = backend.requests.get(0);
        assertThat(post.header("content-length")).containsExactly(String.valueOf(SMUGGLED.length()));
        assertThat(post.header("transfer-encoding")).isEmpty();
        assertThat(new String(post.body(), StandardCharsets.ISO_8859_1)).isEqualTo(SMUGGLED);
        assertThat(backend.requests.get(1).connection()).as("same pooled connection").isEqualTo(post.connection());
    }

    @Test
    void aChunkedBodyIsSentChunkedWhateverElseTheClientSaid() throws Exception {
        String chunk = Integer.toHexString(SMUGGLED.length()) + "\r\n" + SMUGGLED + "\r\n0\r\n\r\n";
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("POST / HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive, te\r\nTE: trailers\r\n\r\n" + chunk);
            assertThat(c.read(false).status()).isEqualTo(200);
        }
        assertOnlyFramedRequests(1);
        RawBackend.Request post = backend.requests.get(0);
        assertThat(post.header("transfer-encoding")).containsExactly("chunked");
        assertThat(post.header("content-length")).isEmpty();
        assertThat(post.header("te")).isEmpty();
        assertThat(new String(post.body(), StandardCharsets.ISO_8859_1)).isEqualTo(SMUGGLED);
    }

    @Test
    void connectionNamingContentLengthIsRefusedAndNothingReachesTheBackend() throws Exception {
        // the case: before, Content-Length was dropped as "hop-by-hop" and the body went unframed
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("POST / HTTP/1.1\r\nHost: gw\r\nConnection: content-length\r\nContent-Length: " + SMUGGLED.length()
                    + "\r\n\r\n" + SMUGGLED);
            TestClient.Response r = c.read(false);
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.body()).contains("Connection names content-length");
            assertThat(c.closedByServer()).isTrue();
        }
        try (TestClient next = new TestClient(proxy.port())) {
            next.write("GET /after HTTP/1.1\r\nHost: gw\r\n\r\n");
            assertThat(next.read(false).body()).as("the next client gets its own answer").isEqualTo("GET /after");
        }
        assertOnlyFramedRequests(1);
        assertThat(backend.requests.get(0).path()).isEqualTo("/after");
    }

    @Test
    void hixieWebSocketKeysNeverSmuggleAnUnframedBody() throws Exception {
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("GET / HTTP/1.1\r\nHost: gw\r\nSec-WebSocket-Key1: 1 2\r\nSec-WebSocket-Key2: 3 4\r\n\r\nGET /x H");
            assertThat(c.read(false).status()).isEqualTo(400);
        }
        assertOnlyFramedRequests(0);
    }

    @Test
    void http10KeepAliveWithABodyIsFramedByItsContentLength() throws Exception {
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("POST / HTTP/1.0\r\nHost: gw\r\nConnection: keep-alive\r\nContent-Length: 5\r\n\r\nhelloGET /x HTTP/1.0\r\nHost: gw\r\n\r\n");
            assertThat(c.read(false).status()).isEqualTo(200);
            assertThat(c.read(false).body()).isEqualTo("GET /x");
        }
        assertOnlyFramedRequests(2);
        assertThat(backend.requests.get(0).header("content-length")).containsExactly("5");
        assertThat(backend.requests.get(0).body()).isEqualTo("hello".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aGetWithoutFramingSendsNoBodyAndPipelinedRequestsStayApart() throws Exception {
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("GET /a HTTP/1.1\r\nHost: gw\r\n\r\nGET /b HTTP/1.1\r\nHost: gw\r\n\r\nGET /profile HTTP/1.1\r\nHost: gw\r\n\r\n");
            assertThat(c.read(false).body()).isEqualTo("GET /a");
            assertThat(c.read(false).body()).isEqualTo("GET /b");
            assertThat(c.read(false).status()).as("the pipelined key-auth request is checked too").isEqualTo(401);
        }
        assertOnlyFramedRequests(2);
        assertThat(backend.requests).allSatisfy(r -> assertThat(r.header("content-length")).isEmpty());
    }
}
