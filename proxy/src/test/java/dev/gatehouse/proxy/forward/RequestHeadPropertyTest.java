package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.ClientLimits;
import dev.gatehouse.proxy.http.BadRequest;
import dev.gatehouse.proxy.http.ClientAddress;
import dev.gatehouse.proxy.http.ForwardedFor;
import dev.gatehouse.proxy.http.ProxyHeaders;
import dev.gatehouse.proxy.http.RequestGate;
import dev.gatehouse.proxy.http.StrictRequestDecoder;
import dev.gatehouse.proxy.http.TrustedProxies;
import dev.gatehouse.proxy.http1.ParsedRequest;
import dev.gatehouse.proxy.http1.UpstreamCodec;
import dev.gatehouse.proxy.observe.EdgeMeters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The request decoder that parses each head once, as bytes ({@link StrictRequestDecoder}), against
 * the one it replaced (Netty's {@code HttpRequestDecoder} behind the byte scan,
 * {@link NettyRequestDecoder}), both behind the {@link RequestGate}, fed the same bytes in one to
 * three reads: random valid requests (pipelined, with Content-Length, chunked or no body) pass as
 * the same requests with the same fields in the same order and the same body and trailers, and
 * once rewritten for upstream ({@link UpstreamRequest#rewrite}) the encoder writes byte for byte
 * what Netty's wrote for the old map; random malformed ones (the pieces attackers use) get the
 * same answers with the same status.
 */
class RequestHeadPropertyTest {
    @AfterContainer
    static void noBufferLeaked() throws InterruptedException {
        dev.gatehouse.proxy.LeakCheck.assertNone("RequestHeadPropertyTest");
    }

    /** Small limits, so that 414 and 431 come up among the random heads. */
    private static final ClientLimits LIMITS = new ClientLimits(Duration.ofSeconds(10), Duration.ofSeconds(60), 1000, 96, 300, 8,
            100);

    private static final List<String> NAMES = List.of("Accept", "accept", "X-Forwarded-For", "X-Forwarded-Proto", "x-forwarded-host",
            "Forwarded", "Via", "Connection", "Keep-Alive", "TE", "Trailer", "X-Consumer-ID", "Cookie", "X-Request-Id", "apikey",
            "X-Obs", "Proxy-Connection", "X-Forwarded-Port", "Expect");
    private static final List<String> VALUES = List.of("v", "", "keep-alive", "close", "x-a", "keep-alive, te", "trailers",
            "1.1 a, 1.0 b", "10.1.2.3", "r-123", "caf\u00e9", "a=b; c=d", "100-continue", "https");
    private static final List<String> OWS = List.of(": ", ":", ":  ", ":\t", ": ");
    private static final List<String> TARGETS = List.of("/", "/a?b=c", "/profile/x;y", "http://h.example/x?q", "/%41b", "/p?apikey=k");

    @Provide
    Arbitrary<String> validRequests() {
        return Arbitraries.longs().map(seed -> {
            Random r = new Random(seed);
            StringBuilder all = new StringBuilder();
            int n = 1 + r.nextInt(3);
            for (int k = 0; k < n; k++) {
                all.append(validRequest(r));
            }
            return all.toString();
        });
    }

    private static <T> T pick(Random r, List<T> from) {
        return from.get(r.nextInt(from.size()));
    }

    private static String validRequest(Random r) {
        boolean http11 = r.nextInt(5) > 0;
        String method = pick(r, List.of("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "PURGE"));
        StringBuilder head = new StringBuilder(method).append(' ').append(pick(r, TARGETS))
                .append(http11 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
        List<String> fields = new ArrayList<>();
        if (http11 || r.nextBoolean()) {
            fields.add("Host" + pick(r, OWS) + pick(r, List.of("a", "a:8080", "[::1]:80", "gw.example")));
        }
        int extra = r.nextInt(6);
        for (int i = 0; i < extra; i++) {
            fields.add(pick(r, NAMES) + pick(r, OWS) + pick(r, VALUES) + (r.nextInt(4) == 0 ? " \t" : ""));
        }
        String body = "";
        int framing = r.nextInt(3);
        if (framing == 1) {
            body = "x".repeat(r.nextInt(40));
            fields.add(pick(r, List.of("Content-Length", "content-length")) + ": " + body.length());
        } else if (framing == 2 && http11) {
            fields.add(pick(r, List.of("Transfer-Encoding", "transfer-encoding")) + ": " + pick(r, List.of("chunked", "Chunked", "chunked ")));
            StringBuilder chunks = new StringBuilder();
            int count = r.nextInt(3);
            for (int i = 0; i < count; i++) {
                int size = 1 + r.nextInt(20);
                chunks.append(Integer.toHexString(size)).append(r.nextBoolean() ? "" : ";ext=1").append("\r\n")
                        .append("y".repeat(size)).append("\r\n");
            }
            chunks.append("0\r\n").append(r.nextBoolean() ? "" : "X-Trailer: t\r\nContent-Length: 9\r\n").append("\r\n");
            body = chunks.toString();
        }
        java.util.Collections.shuffle(fields, r);
        for (String f : fields) {
            head.append(f).append("\r\n");
        }
        return head.append("\r\n").append(body).toString();
    }

    // the pieces of EdgePropertiesTest's malformed heads
    private static final List<String> BAD_METHODS = List.of("GET", "POST", "G@T", "get", "CONNECT", "PRI", "");
    private static final List<String> BAD_TARGETS = List.of("/", "/a?b=c", "*", "http://h/x", "http://u@h/", "/a#f", "/%00", "/a b",
            "abc", "/\u0001", "/" + "x".repeat(120));
    private static final List<String> BAD_VERSIONS = List.of("HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.2", "HTTX/1.1", "");
    private static final List<String> BAD_HEADERS = List.of("Host: a", "Host: b", "Content-Length: 5", "Content-Length: 0",
            "Content-Length: +5", "Content-Length: 5, 5", "Content-Length: -1", "Content-Length: 99999999999999999999",
            "Transfer-Encoding: chunked", "Transfer-Encoding: gzip, chunked", "Transfer-Encoding: chunked, gzip",
            "Transfer-Encoding: identity", "Connection: close", "Connection: content-length", "TE: trailers", " folded", "\tfolded",
            "X-A : b", "X-A: a\u0000b", "X-A: a\rb", "X\u007fA: b", "X(A): b", ": empty", "Sec-WebSocket-Key1: 1",
            "X-Request-Id: r-1", "X-Big: " + "b".repeat(200), "X-Obs: caf\u00e9");
    private static final List<String> BAD_BODIES = List.of("", "hello", "5\r\nhello\r\n0\r\n\r\n", "zz\r\n", "0\r\n\r\n",
            "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n", "5\r\nhelloX0\r\n\r\n", "5;a\u0001\r\nhello\r\n0\r\n\r\n", "5\nhello\r\n0\r\n\r\n");

    @Provide
    Arbitrary<String> malformedRequests() {
        Arbitrary<String> line = Combinators.combine(Arbitraries.of(BAD_METHODS), Arbitraries.of(BAD_TARGETS), Arbitraries.of(BAD_VERSIONS))
                .as((m, t, v) -> m + " " + t + (v.isEmpty() ? "" : " " + v));
        Arbitrary<List<String>> headers = Arbitraries.of(BAD_HEADERS).list().ofMaxSize(9);
        Arbitrary<String> eol = Arbitraries.of("\r\n", "\r\n", "\r\n", "\n");
        return Combinators.combine(line, headers, Arbitraries.of(BAD_BODIES), eol)
                .as((l, h, b, e) -> l + e + String.join(e, h) + (h.isEmpty() ? "" : e) + e + b);
    }

    @Property(tries = 1500)
    void validRequestsPassAsBeforeAndGoUpstreamAsTheSameBytes(@ForAll("validRequests") String raw, @ForAll long splits) {
        assertSame(raw, splits);
    }

    /**
     * The same answers. One difference is allowed, and only when the head also breaks another
     * rule or a second limit: a head over a limit (414, 431) is refused for whichever fault comes
     * first in its bytes, where the old decoder's choice depended on how the head was split into
     * reads (its scan's refusals, and its field count, won over Netty's limits when both were in
     * the same read): a target over the limit with too many fields is 414 now, at the request line.
     */
    @Property(tries = 2000)
    void malformedRequestsGetTheSameAnswers(@ForAll("malformedRequests") String raw, @ForAll long splits) {
        List<String> expected = run(() -> new NettyRequestDecoder(LIMITS), HttpRequestEncoder::new, raw, splits, false);
        List<String> actual = run(() -> new StrictRequestDecoder(LIMITS), UpstreamCodec::new, raw, splits, true);
        String lastActual = actual.isEmpty() ? "" : actual.get(actual.size() - 1);
        String lastExpected = expected.isEmpty() ? "" : expected.get(expected.size() - 1);
        if (actual.size() == expected.size() && !actual.isEmpty() && (limit(lastActual) || limit(lastExpected))
                && !lastActual.equals(lastExpected) && lastActual.startsWith("refused") && lastExpected.startsWith("refused")) {
            assertThat(actual.subList(0, actual.size() - 1)).as(raw).isEqualTo(expected.subList(0, expected.size() - 1));
            return;
        }
        assertThat(actual).as(raw).isEqualTo(expected);
    }

    /** Found by the property above: two limits at once are answered for the first in the bytes, however the head is split. */
    @Example
    void aTargetOverTheLimitWithTooManyFieldsIs414AtTheRequestLine() {
        String raw = "GET /" + "x".repeat(120) + " HTTP/1.1\r\n" + "Host: a\r\n".repeat(9) + "\r\n";
        for (long splits : new long[] {0, 1, 7, -3_000_000_017L}) {
            assertThat(run(() -> new StrictRequestDecoder(LIMITS), UpstreamCodec::new, raw, splits, true)).as("splits %s", splits)
                    .containsExactly("refused 414");
        }
    }

    private static boolean limit(String answer) {
        return answer.equals("refused 414") || answer.equals("refused 431");
    }

    private static void assertSame(String raw, long splits) {
        List<String> expected = run(() -> new NettyRequestDecoder(LIMITS), HttpRequestEncoder::new, raw, splits, false);
        List<String> actual = run(() -> new StrictRequestDecoder(LIMITS), UpstreamCodec::new, raw, splits, true);
        assertThat(actual).as(raw).isEqualTo(expected);
    }

    /**
     * What the gate hands on for {@code raw}, read in up to three pieces, as text: each refusal's
     * status, each request's line and fields (the proxy's own X-Request-Id masked), its body and
     * trailers, and the bytes the upstream encoder writes for it once rewritten for upstream.
     */
    private static List<String> run(Supplier<ChannelHandler> decoder, Supplier<ChannelHandler> encoder, String raw, long splits,
                                    boolean parsedOnce) {
        EmbeddedChannel ch = new EmbeddedChannel(decoder.get(), new RequestGate(LIMITS, EdgeMeters.NONE));
        List<String> out = new ArrayList<>();
        List<Object> messages = new ArrayList<>();
        try {
            Random r = new Random(splits);
            int a = r.nextInt(raw.length() + 1);
            int b = a + r.nextInt(raw.length() - a + 1);
            for (String piece : List.of(raw.substring(0, a), raw.substring(a, b), raw.substring(b))) {
                ch.writeInbound(Unpooled.copiedBuffer(piece, StandardCharsets.ISO_8859_1));
                ch.checkException();
                for (Object o = ch.readInbound(); o != null; o = ch.readInbound()) {
                    messages.add(o);
                }
            }
            HttpRequest request = null;
            List<HttpContent> body = new ArrayList<>();
            for (Object o : messages) {
                if (o instanceof BadRequest bad) {
                    out.add("refused " + bad.status().code());
                } else if (o instanceof HttpRequest req) {
                    assertThat(req instanceof ParsedRequest).as("parsed once").isEqualTo(parsedOnce);
                    out.add(req.method() + " " + req.uri() + " " + req.protocolVersion() + " " + fields(req.headers()));
                    request = req;
                    body.clear();
                    if (req instanceof FullHttpRequest) {
                        throw new AssertionError("a decoded head never carries its body: " + req);
                    }
                } else if (o instanceof HttpContent c) {
                    body.add(c);
                    if (c instanceof LastHttpContent last) {
                        StringBuilder text = new StringBuilder();
                        body.forEach(part -> text.append(part.content().toString(StandardCharsets.ISO_8859_1)));
                        out.add("body " + text + " trailers " + fields(last.trailingHeaders()));
                        out.add("upstream " + upstream(encoder.get(), request, body));
                    }
                }
            }
        } finally {
            messages.forEach(ReferenceCountUtil::release);
            ch.finishAndReleaseAll();
        }
        return out;
    }

    private static String fields(io.netty.handler.codec.http.HttpHeaders h) {
        StringBuilder s = new StringBuilder();
        for (Map.Entry<String, String> e : h.entries()) {
            boolean own = e.getKey().equalsIgnoreCase(ProxyHeaders.X_REQUEST_ID.toString());
            s.append(e.getKey()).append('=').append(own ? "<id>" : e.getValue()).append('|');
        }
        return s.toString();
    }

    /** The bytes an upstream encoder writes for {@code req} and its body, after the proxy's rewrite of the head. */
    private static String upstream(ChannelHandler encoder, HttpRequest req, List<HttpContent> body) {
        req.headers().set(ProxyHeaders.X_REQUEST_ID, "fixed-id");
        boolean chunked = HttpUtil.isTransferEncodingChunked(req);
        ClientAddress from = ForwardedFor.of(TrustedProxies.NONE, new InetSocketAddress("10.0.0.9", 4000)).resolve(req.headers());
        UpstreamRequest.rewrite(req, req.uri(), chunked, chunked ? -1 : RequestPlan.declaredLength(req.headers()), "a", from,
                new InetSocketAddress("127.0.0.1", 8080), false);
        req.headers().set(HttpHeaderNames.HOST, "target:80");
        EmbeddedChannel ch = new EmbeddedChannel(encoder);
        try {
            ch.writeOutbound(req);
            for (HttpContent c : body) {
                ch.writeOutbound(c.retainedDuplicate());
            }
            StringBuilder s = new StringBuilder();
            for (ByteBuf buf = ch.readOutbound(); buf != null; buf = ch.readOutbound()) {
                s.append(buf.toString(StandardCharsets.ISO_8859_1));
                buf.release();
            }
            return s.toString();
        } finally {
            ch.finishAndReleaseAll();
        }
    }
}
