package dev.gatehouse.proxy;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A response the upstream decoder refuses never reaches the client as complete, and its
 * connection never goes back to the pool: the next request opens a new one.
 */
class UpstreamMalformedTest {
    private RawBackend backend;
    private ProxyServer proxy;

    @BeforeEach
    void start() throws Exception {
        backend = new RawBackend();
        proxy = ProxyServer.start(Fixtures.oneLoopConfig());
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").build()), List.of(upstream("default/u", backend.port())), List.of()))).isEmpty();
    }

    @AfterEach
    void stop() {
        proxy.close();
        backend.close();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void aBadChunkMidResponseCutsTheClientResponseAndTheConnectionIsNotReused() throws Exception {
        backend.responder(r -> r.path().equals("/bad")
                ? bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nGET /poison HTTP/1.1\r\n\r\n")
                : RawBackend.echo(r));
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("GET /bad HTTP/1.1\r\nHost: gw\r\n\r\n");
            assertThatThrownBy(() -> c.read(false)).as("the client never sees the response end").isInstanceOf(Exception.class);
        }
        TestClient.Response next = TestClient.get(proxy.port(), "/next");
        assertThat(next.status()).isEqualTo(200);
        assertThat(next.body()).isEqualTo("GET /next");
        assertThat(backend.requests).hasSize(2);
        assertThat(backend.requests.get(1).connection()).as("a new upstream connection").isNotEqualTo(backend.requests.get(0).connection());
    }

    @Test
    void aBadStatusLineIs502BeforeTheHeadAndTheConnectionIsClosed() throws Exception {
        backend.responder(r -> r.path().equals("/bad") ? bytes("HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n") : RawBackend.echo(r));
        TestClient.Response r = TestClient.get(proxy.port(), "/bad");
        assertThat(r.status()).isEqualTo(502);
        assertThat(r.body()).contains("An invalid response was received from the upstream server");
        TestClient.Response next = TestClient.get(proxy.port(), "/next");
        assertThat(next.status()).isEqualTo(200);
        assertThat(backend.requests.get(backend.requests.size() - 1).connection())
                .isNotEqualTo(backend.requests.get(0).connection());
    }

    @Test
    void aResponseWithAnInvalidContentLengthIs502() throws IOException {
        backend.responder(r -> bytes("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\nhello!"));
        TestClient.Response r = TestClient.get(proxy.port(), "/x");
        assertThat(r.status()).isEqualTo(502);
    }
}
