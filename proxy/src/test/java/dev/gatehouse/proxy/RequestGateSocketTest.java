package dev.gatehouse.proxy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.stream.Stream;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The strict HTTP/1.1 gate over real sockets: each malformed request, written as raw bytes, is
 * answered by the proxy with the expected status, a JSON body and X-Request-Id, the connection
 * is closed, and the backend never sees anything.
 */
class RequestGateSocketTest {
    private static Backend backend;
    private static ProxyServer proxy;

    @BeforeAll
    static void start() throws Exception {
        backend = new Backend("recorder");
        proxy = ProxyServer.start(Fixtures.config());
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").build()),
                List.of(upstream("default/u", backend.port())), List.of()))).isEmpty();
    }

    @AfterAll
    static void stop() {
        proxy.close();
        backend.close();
    }

    static Stream<Arguments> cases() {
        String h = "Host: a\r\n";
        return Stream.of(
                Arguments.of("Content-Length and Transfer-Encoding",
                        "POST / HTTP/1.1\r\n" + h + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400),
                Arguments.of("duplicate equal Content-Length",
                        "POST / HTTP/1.1\r\n" + h + "Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400),
                Arguments.of("differing Content-Length",
                        "POST / HTTP/1.1\r\n" + h + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
                Arguments.of("Content-Length list",
                        "POST / HTTP/1.1\r\n" + h + "Content-Length: 5, 5\r\n\r\nhello", 400),
                Arguments.of("non-numeric Content-Length",
                        "POST / HTTP/1.1\r\n" + h + "Content-Length: five\r\n\r\nhello", 400),
                Arguments.of("negative Content-Length",
                        "POST / HTTP/1.1\r\n" + h + "Content-Length: -1\r\n\r\n", 400),
                Arguments.of("Transfer-Encoding not chunked",
                        "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip\r\n\r\nxx", 400),
                Arguments.of("chunked not final",
                        "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400),
                Arguments.of("chunked twice",
                        "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
                Arguments.of("coding before chunked",
                        "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
                Arguments.of("Transfer-Encoding in HTTP/1.0",
                        "POST / HTTP/1.0\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
                Arguments.of("bad chunk size",
                        "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400),
                Arguments.of("request line too long",
                        "GET /" + "a".repeat(9000) + " HTTP/1.1\r\n" + h + "\r\n", 414),
                Arguments.of("headers too large",
                        "GET / HTTP/1.1\r\n" + h + "X-Big: " + "b".repeat(17000) + "\r\n\r\n", 431),
                Arguments.of("bad request line", "GET /\r\n" + h + "\r\n", 400),
                Arguments.of("unsupported version", "GET / HTTP/9.9\r\n" + h + "\r\n", 505),
                Arguments.of("garbage version", "GET / HTTX/1.1\r\n" + h + "\r\n", 400),
                Arguments.of("obsolete line folding",
                        "GET / HTTP/1.1\r\n" + h + "X-Folded: a\r\n  b\r\n\r\n", 400),
                Arguments.of("space in header name", "GET / HTTP/1.1\r\n" + h + "Bad Header: x\r\n\r\n", 400),
                Arguments.of("space before colon", "GET / HTTP/1.1\r\n" + h + "X-Smuggle : x\r\n\r\n", 400),
                Arguments.of("bare LF", "GET / HTTP/1.1\n" + h.replace("\r", "") + "\n", 400),
                Arguments.of("missing Host", "GET / HTTP/1.1\r\n\r\n", 400),
                Arguments.of("two Host headers", "GET / HTTP/1.1\r\n" + h + "Host: b\r\n\r\n", 400),
                Arguments.of("invalid target", "GET abc HTTP/1.1\r\n" + h + "\r\n", 400),
                Arguments.of("CONNECT", "CONNECT a:443 HTTP/1.1\r\n" + h + "\r\n", 405));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("cases")
    void malformedRequestIsAnsweredByTheProxyAndNeverReachesTheBackend(String name, String raw, int status) throws Exception {
        int before = backend.started.get();
        try (TestClient c = new TestClient(proxy.port())) {
            c.write(raw);
            TestClient.Response r = c.read(false);
            assertThat(r.status()).as(name).isEqualTo(status);
            assertThat(r.header("content-type")).isEqualTo("application/json");
            String id = r.header("x-request-id");
            assertThat(id).isNotBlank();
            assertThat(r.body()).matches("\\{\"message\":\".+\",\"request_id\":\"" + java.util.regex.Pattern.quote(id) + "\"}");
            assertThat(r.header("connection")).isEqualTo("close");
            assertThat(c.closedByServer()).as("connection closed").isTrue();
        }
        Thread.sleep(20);
        assertThat(backend.started.get()).as("requests the backend saw").isEqualTo(before);
        assertThat(backend.seen).isEmpty();
    }

    @Test
    void aMalformedPipelinedRequestIsAnsweredAfterTheOneBeforeIt() throws Exception {
        backend.handler((ex, s) -> {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Backend.respond(ex, 200, "first");
        });
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("GET /first HTTP/1.1\r\nHost: a\r\n\r\nGET /second HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
            TestClient.Response first = c.read(false);
            assertThat(first.status()).isEqualTo(200);
            assertThat(first.body()).isEqualTo("first");
            TestClient.Response second = c.read(false);
            assertThat(second.status()).isEqualTo(400);
            assertThat(c.closedByServer()).isTrue();
        } finally {
            backend.handler(Backend::echo);
            backend.seen.clear();
        }
    }

    @Test
    void aBadChunkMidBodyIsAnsweredWithTheRequestsIdAndTheUpstreamConnectionDropped() throws Exception {
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("POST /x HTTP/1.1\r\nHost: a\r\nX-Request-Id: chunky\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
            Thread.sleep(200);
            c.write("zz\r\n");
            TestClient.Response r = c.read(false);
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.header("x-request-id")).isEqualTo("chunky");
            assertThat(c.closedByServer()).isTrue();
        }
        Thread.sleep(100);
        assertThat(backend.seen).as("the backend never completed reading a malformed body").isEmpty();
    }
}
