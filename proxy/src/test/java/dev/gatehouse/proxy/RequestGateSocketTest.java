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
 * is closed, and the backend never receives a byte (a raw recording backend).
 */
class RequestGateSocketTest {
    /** Host a: every malformed case is sent there, and this backend must never receive a byte. */
    private static RawBackend never;
    /** Host b: the tests that need a request to pass first. */
    private static Backend backend;
    private static ProxyServer proxy;

    @BeforeAll
    static void start() throws Exception {
        never = new RawBackend();
        backend = new Backend("recorder");
        proxy = ProxyServer.start(Fixtures.config());
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/sa", "default/ua"), service("default/sb", "default/ub")),
                List.of(route("default/ra", "default/sa").hosts("a").build(), route("default/rb", "default/sb").hosts("b").build()),
                List.of(upstream("default/ua", never.port()), upstream("default/ub", backend.port())), List.of()))).isEmpty();
    }

    @AfterAll
    static void stop() {
        proxy.close();
        backend.close();
        never.close();
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
                        "GET / HTTP/1.1\r\n" + h + "X-Big: " + "b".repeat(62000) + "\r\n\r\n", 431),
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
                Arguments.of("CONNECT", "CONNECT a:443 HTTP/1.1\r\n" + h + "\r\n", 405),
                // Content-Length forms Netty or RFC 9110 §8.6 refuse
                Arguments.of("Content-Length with a plus sign", "POST / HTTP/1.1\r\n" + h + "Content-Length: +5\r\n\r\nhello", 400),
                Arguments.of("Content-Length in hex", "POST / HTTP/1.1\r\n" + h + "Content-Length: 0x5\r\n\r\nhello", 400),
                Arguments.of("Content-Length overflow",
                        "POST / HTTP/1.1\r\n" + h + "Content-Length: 99999999999999999999\r\n\r\nhello", 400),
                Arguments.of("Content-Length empty", "POST / HTTP/1.1\r\n" + h + "Content-Length: \r\n\r\n", 400),
                Arguments.of("Content-Length with inner space", "POST / HTTP/1.1\r\n" + h + "Content-Length: 1 0\r\n\r\nhelloworld", 400),
                Arguments.of("two Content-Length fields in HTTP/1.0",
                        "POST / HTTP/1.0\r\n" + h + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
                // Transfer-Encoding other than exactly chunked
                Arguments.of("Transfer-Encoding identity", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: identity\r\n\r\nhello", 400),
                Arguments.of("Transfer-Encoding xchunked", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400),
                Arguments.of("Transfer-Encoding chunked with Content-Length in HTTP/1.0",
                        "POST / HTTP/1.0\r\n" + h + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
                // chunk framing (RFC 9112 §7.1)
                Arguments.of("chunk size overflow",
                        "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\nx\r\n0\r\n\r\n", 400),
                Arguments.of("negative chunk size", "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", 400),
                Arguments.of("chunk data without CRLF",
                        "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n5\r\nhelloX0\r\n\r\n", 400),
                Arguments.of("control character in a chunk extension",
                        "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked\r\n\r\n5;a\u0001=b\r\nhello\r\n0\r\n\r\n", 400),
                // characters RFC 9110 §5.5 does not allow in the head
                Arguments.of("NUL in a header value", "GET / HTTP/1.1\r\n" + h + "X-A: a\u0000b\r\n\r\n", 400),
                Arguments.of("NUL in the request line", "GET /a\u0000b HTTP/1.1\r\n" + h + "\r\n", 400),
                Arguments.of("control character in a header value", "GET / HTTP/1.1\r\n" + h + "X-A: a\u0001b\r\n\r\n", 400),
                Arguments.of("DEL in a header name", "GET / HTTP/1.1\r\n" + h + "X-\u007fA: b\r\n\r\n", 400),
                Arguments.of("bare CR in a header value", "GET / HTTP/1.1\r\n" + h + "X-A: a\rb\r\n\r\n", 400),
                Arguments.of("bare CR ending the request line", "GET / HTTP/1.1\r" + h + "\r\n", 400),
                Arguments.of("invalid character in a header name", "GET / HTTP/1.1\r\n" + h + "X(A): b\r\n\r\n", 400),
                Arguments.of("empty header name", "GET / HTTP/1.1\r\n" + h + ": b\r\n\r\n", 400),
                Arguments.of("tab before the colon", "GET / HTTP/1.1\r\n" + h + "X-A\t: b\r\n\r\n", 400),
                Arguments.of("folded line with a tab", "GET / HTTP/1.1\r\n" + h + "X-A: a\r\n\tb\r\n\r\n", 400),
                Arguments.of("whitespace before the first header", "GET / HTTP/1.1\r\n " + h + "\r\n", 400),
                Arguments.of("101 header fields", "GET / HTTP/1.1\r\n" + h + "X-H: v\r\n".repeat(100) + "\r\n", 431),
                // Connection may not drop framing, Host or identity headers
                Arguments.of("Connection names Content-Length",
                        "POST / HTTP/1.1\r\n" + h + "Connection: content-length\r\nContent-Length: 29\r\n\r\n"
                                + "GET /x HTTP/1.1\r\nHost: gw\r\n\r\n", 400),
                Arguments.of("Connection names Transfer-Encoding",
                        "POST / HTTP/1.1\r\n" + h + "Connection: keep-alive, Transfer-Encoding\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
                Arguments.of("Connection names Host", "GET / HTTP/1.1\r\n" + h + "Connection: host\r\n\r\n", 400),
                Arguments.of("Connection names X-Consumer-ID", "GET / HTTP/1.1\r\n" + h + "Connection: X-Consumer-ID\r\n\r\n", 400),
                Arguments.of("Hixie-76 WebSocket keys",
                        "GET / HTTP/1.1\r\n" + h + "Upgrade: WebSocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\n"
                                + "Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\n\r\n^n:ds[4U", 400),
                Arguments.of("WebSocket upgrade without Sec-WebSocket-Key",
                        "GET / HTTP/1.1\r\n" + h + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n", 400),
                Arguments.of("WebSocket upgrade with a body",
                        "GET / HTTP/1.1\r\n" + h + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nContent-Length: 4\r\n\r\nbody", 400),
                // request line and target (RFC 9112 §3)
                Arguments.of("method outside the token grammar", "G@T / HTTP/1.1\r\n" + h + "\r\n", 400),
                Arguments.of("HTTP/0.9 request", "GET /\r\n\r\n", 400),
                Arguments.of("HTTP/2 preface cut short (not h2c)", "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n", 505),
                Arguments.of("HTTP/1.2", "GET / HTTP/1.2\r\n" + h + "\r\n", 505),
                Arguments.of("fragment in the target", "GET /a#b HTTP/1.1\r\n" + h + "\r\n", 400),
                Arguments.of("userinfo in an absolute target", "GET http://user@a/ HTTP/1.1\r\n" + h + "\r\n", 400),
                Arguments.of("absolute target without host", "GET http:///x HTTP/1.1\r\n" + h + "\r\n", 400),
                Arguments.of("absolute target of another scheme", "GET ftp://a/x HTTP/1.1\r\n" + h + "\r\n", 400),
                Arguments.of("Host with a space", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
                Arguments.of("Host with a slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
                Arguments.of("Host with userinfo", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", 400),
                Arguments.of("Host with a non-numeric port", "GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n", 400),
                Arguments.of("asterisk target for GET", "GET * HTTP/1.1\r\n" + h + "\r\n", 400),
                Arguments.of("space in the target", "GET /a b HTTP/1.1\r\n" + h + "\r\n", 400));
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @MethodSource("cases")
    void malformedRequestIsAnsweredByTheProxyAndNeverReachesTheBackend(String name, String raw, int status) throws Exception {
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
        // A forward would have been written on the client's event loop before the refusal was;
        // give the backend's reader thread a moment to record such bytes. A head whose body
        // turns out malformed may have gone out (chunked, as the proxy framed it); its body
        // never completes, so the backend never parses a whole request.
        Thread.sleep(20);
        assertThat(never.requests).as("complete requests the backend of host a parsed").isEmpty();
    }

    @Test
    void aRefusedHeadKeepsTheClientsRequestId() throws Exception {
        for (String bad : List.of("X-A: a\u0001b\r\n", "X-A: a\r\n folded\r\n", "Content-Length: 1\r\nContent-Length: 1\r\n")) {
            try (TestClient c = new TestClient(proxy.port())) {
                c.write("GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: keep-me\r\n" + bad + "\r\n");
                TestClient.Response r = c.read(false);
                assertThat(r.status()).as(bad).isEqualTo(400);
                assertThat(r.header("x-request-id")).as(bad).isEqualTo("keep-me");
            }
        }
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
            c.write("GET /first HTTP/1.1\r\nHost: b\r\n\r\nGET /second HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
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
            c.write("POST /x HTTP/1.1\r\nHost: b\r\nX-Request-Id: chunky\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
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
