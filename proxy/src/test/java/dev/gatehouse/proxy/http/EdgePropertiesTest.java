package dev.gatehouse.proxy.http;

import dev.gatehouse.config.RequestPath;
import dev.gatehouse.config.Route;
import dev.gatehouse.proxy.routing.RouteMatch;
import dev.gatehouse.proxy.routing.Router;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static dev.gatehouse.proxy.Fixtures.route;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzing of the edge (jqwik): the path normaliser, the router on normalised paths, and the
 * strict gate fed random request heads built from the pieces attackers use.
 */
class EdgePropertiesTest {
    @net.jqwik.api.lifecycle.AfterContainer
    static void noBufferLeaked() throws InterruptedException {
        dev.gatehouse.proxy.LeakCheck.assertNone("EdgePropertiesTest");
    }

    private static final List<String> SEGMENTS = List.of("a", "b", "profile", "PROFILE", "api", ".", "..", "", "%2e", "%2E%2e",
            "%2f", "%2F", "%5c", "%41", "%70rofile", "profilex", "profile;v=1", "profile..", "apix", ";x", "..;", ".;a", "a;b", "%", "%z", "%00", "%25", "\\", "~u", "%7E", "x..");

    @Provide
    Arbitrary<String> rawPaths() {
        return Arbitraries.of(SEGMENTS).list().ofMaxSize(8).map(l -> "/" + String.join("/", l));
    }

    @Property(tries = 3000)
    void normalisationIsIdempotentAndLeavesNoDotOrEmptySegment(@ForAll("rawPaths") String raw) {
        String n;
        try {
            n = RequestPath.normalize(raw);
        } catch (RequestPath.Refused refused) {
            return;
        }
        assertThat(n).startsWith("/");
        assertThat(RequestPath.normalize(n)).as("idempotent").isEqualTo(n);
        assertThat(n).doesNotContain("//").doesNotContain("/./").doesNotContain("/../").doesNotEndWith("/.").doesNotEndWith("/..");
        assertThat(n.toLowerCase(Locale.ROOT)).doesNotContain("%2e").doesNotContain("%70").doesNotContain("\\");
    }

    private static final Router<String> ROUTER = Router.compile(List.of(
            route("default/root", "s").paths("/").build(),
            route("default/profile", "s").paths("/profile").build(),
            route("default/api-slash", "s").paths("/api/").build()), Route::id);

    @Property(tries = 3000)
    void aPathInsideAPrefixIsRoutedThereAndNoPathOutsideItIs(@ForAll("rawPaths") String raw) {
        String n;
        try {
            n = RequestPath.normalize(raw);
        } catch (RequestPath.Refused refused) {
            return;
        }
        RouteMatch<String> m = ROUTER.match(null, "GET", n, new DefaultHttpHeaders());
        boolean insideProfile = n.equals("/profile") || n.startsWith("/profile/") || n.startsWith("/profile;");
        boolean insideApi = n.startsWith("/api/");
        assertThat(m).isNotNull();
        assertThat(m.destination().equals("default/profile")).as(n + " routed to the key-auth prefix").isEqualTo(insideProfile);
        assertThat(m.destination().equals("default/api-slash")).as(n).isEqualTo(insideApi);
    }

    // ---- the strict gate ----

    private static final List<String> METHODS = List.of("GET", "POST", "PUT", "HEAD", "OPTIONS", "G@T", "get", "CONNECT", "PRI", "");
    private static final List<String> TARGETS = List.of("/", "/a?b=c", "//profile", "*", "http://h/x", "http://u@h/", "/a#f",
            "/%00", "/a b", "abc", "/\u0001", "/" + "x".repeat(300));
    private static final List<String> VERSIONS = List.of("HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.2", "HTTX/1.1", "");
    private static final List<String> HEADERS = List.of("Host: a", "Host: b", "Content-Length: 5", "Content-Length: 0",
            "Content-Length: +5", "Content-Length: 5, 5", "Content-Length: -1", "Content-Length: 99999999999999999999",
            "Transfer-Encoding: chunked", "Transfer-Encoding: gzip, chunked", "Transfer-Encoding: chunked, gzip",
            "Transfer-Encoding: identity", "Connection: close", "Connection: keep-alive", "Connection: content-length",
            "Connection: x-consumer-id, te", "TE: trailers", "X-Consumer-ID: admin", " folded", "\tfolded", "X-A : b", "X-A: a\u0000b",
            "X-A: a\rb", "X\u007fA: b", "X(A): b", ": empty", "Sec-WebSocket-Key1: 1", "Sec-WebSocket-Key2: 2",
            "Upgrade: websocket", "Expect: 100-continue", "X-Request-Id: r-1", "X-Obs: caf\u00e9");
    private static final List<String> BODIES = List.of("", "hello", "5\r\nhello\r\n0\r\n\r\n", "zz\r\n", "0\r\n\r\n",
            "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n", "5\r\nhelloX0\r\n\r\n");

    @Provide
    Arbitrary<String> requests() {
        Arbitrary<String> line = net.jqwik.api.Combinators.combine(Arbitraries.of(METHODS), Arbitraries.of(TARGETS),
                Arbitraries.of(VERSIONS)).as((m, t, v) -> m + " " + t + (v.isEmpty() ? "" : " " + v));
        Arbitrary<List<String>> headers = Arbitraries.of(HEADERS).list().ofMaxSize(6);
        Arbitrary<String> eol = Arbitraries.of("\r\n", "\r\n", "\r\n", "\n");
        return net.jqwik.api.Combinators.combine(line, headers, Arbitraries.of(BODIES), eol)
                .as((l, h, b, e) -> l + e + String.join(e, h) + (h.isEmpty() ? "" : e) + e + b);
    }

    @Provide
    Arbitrary<Tuple.Tuple2<String, Integer>> splitRequests() {
        return requests().flatMap(r -> Arbitraries.integers().between(0, r.length()).map(i -> Tuple.of(r, i)));
    }

    /**
     * Whatever arrives, in one read or split in two: the handlers never throw; what passes is a
     * request whose framing is unambiguous (exactly one of chunked, one decimal Content-Length,
     * none), whose Connection header names no protected field, and whose target is visible
     * ASCII; after a refusal nothing more passes.
     */
    @Property(tries = 3000)
    void theGateNeverThrowsAndOnlyLetsUnambiguousRequestsThrough(@ForAll("splitRequests") Tuple.Tuple2<String, Integer> input) {
        String raw = input.get1();
        int split = input.get2();
        EmbeddedChannel ch = new EmbeddedChannel(new StrictRequestDecoder(), new RequestGate());
        List<Object> out = new ArrayList<>();
        try {
            ch.writeInbound(Unpooled.copiedBuffer(raw.substring(0, split), StandardCharsets.ISO_8859_1));
            ch.writeInbound(Unpooled.copiedBuffer(raw.substring(split), StandardCharsets.ISO_8859_1));
            ch.checkException();
            for (Object o = ch.readInbound(); o != null; o = ch.readInbound()) {
                out.add(o);
            }
            boolean refused = false;
            for (Object o : out) {
                assertThat(refused).as("nothing after a refusal: " + o).isFalse();
                if (o instanceof BadRequest bad) {
                    refused = true;
                    assertThat(bad.status().code()).isBetween(400, 505);
                } else if (o instanceof HttpRequest req) {
                    assertThat(req.decoderResult().isSuccess()).isTrue();
                    boolean chunked = HttpUtil.isTransferEncodingChunked(req);
                    List<String> lengths = req.headers().getAll(HttpHeaderNames.CONTENT_LENGTH);
                    assertThat(chunked && !lengths.isEmpty()).as("both framings").isFalse();
                    assertThat(lengths.size()).isLessThanOrEqualTo(1);
                    lengths.forEach(v -> assertThat(v).matches("[0-9]+"));
                    if (chunked) {
                        assertThat(req.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING)).hasSize(1);
                    }
                    for (String c : req.headers().getAll(HttpHeaderNames.CONNECTION)) {
                        for (String token : c.split(",")) {
                            assertThat(RequestGate.PROTECTED).doesNotContain(token.trim().toLowerCase(Locale.ROOT));
                        }
                    }
                    assertThat(req.headers().contains(HttpHeaderNames.SEC_WEBSOCKET_KEY1)).isFalse();
                    assertThat(req.uri()).matches("[\\x21-\\x7e]+").doesNotContain("#");
                } else {
                    assertThat(o).isInstanceOf(HttpContent.class);
                }
            }
        } finally {
            out.forEach(ReferenceCountUtil::release);
            ch.finishAndReleaseAll();
        }
    }

    @Property(tries = 1000)
    void randomBytesNeverThrow(@ForAll byte[] bytes) {
        EmbeddedChannel ch = new EmbeddedChannel(new StrictRequestDecoder(), new RequestGate());
        try {
            ch.writeInbound(Unpooled.wrappedBuffer(bytes));
            ch.checkException();
            for (Object o = ch.readInbound(); o != null; o = ch.readInbound()) {
                if (o instanceof LastHttpContent || o instanceof HttpContent || o instanceof HttpRequest || o instanceof BadRequest) {
                    ReferenceCountUtil.release(o);
                } else {
                    throw new AssertionError("unexpected " + o);
                }
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }
}
