package dev.gatehouse.proxy.http1;

import io.netty.handler.codec.http.HttpMethod;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our response decoder against Netty's {@code HttpClientCodec} (the one it replaced), on random
 * connections: one to three responses, each with random status, reason and fields (duplicates,
 * odd casing, odd whitespace, obs-text), framed by Content-Length, by chunks (random sizes,
 * extensions, hex casing, trailers), by the close, or bodiless (HEAD, 204, 304), some after an
 * interim 1xx; the bytes split at random points across reads. Valid ones decode to the same
 * heads, bodies and trailers; ones carrying a defect Netty refuses are refused by both.
 */
class ResponseDecoderPropertyTest {
    @AfterContainer
    static void noBufferLeaked() throws InterruptedException {
        dev.gatehouse.proxy.LeakCheck.assertNone("ResponseDecoderPropertyTest");
    }

    /** One connection: the requests' methods and the bytes the target sent. */
    record Connection(List<HttpMethod> methods, byte[] bytes) {
        @Override
        public String toString() {
            String text = new String(bytes, StandardCharsets.ISO_8859_1);
            return methods + "\n" + (text.length() > 600 ? text.substring(0, 600) + "..." : text);
        }
    }

    private static final List<String> NAMES = List.of("X-Foo", "x-foo", "X-FOO", "Set-Cookie", "set-cookie", "Cache-Control",
            "ETag", "Vary", "Content-Type", "x-a", "X-Request-Id", "Via", "Connection", "Keep-Alive", "Date", "Server");
    private static final List<String> VALUES = List.of("a", "b c", "", "x=1; y=2", "keep-alive", "close", "\u00e9t\u00e9",
            "tab\there", "1.1 other", "text/plain; charset=utf-8", "\"etag\"", "a, b ,c");
    private static final List<String> SPACES = List.of("", " ", "  ", "\t", " \t");
    private static final List<String> TRAILER_NAMES = List.of("X-Checksum", "grpc-status", "grpc-message", "x-t");

    /** A random valid connection, built from {@code seed} so jqwik can shrink the seed. */
    static Connection valid(long seed) {
        Random r = new Random(seed);
        List<HttpMethod> methods = new ArrayList<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int n = 1 + r.nextInt(3);
        for (int k = 0; k < n; k++) {
            boolean last = k == n - 1;
            HttpMethod method = r.nextInt(6) == 0 ? HttpMethod.HEAD : HttpMethod.GET;
            methods.add(method);
            if (r.nextInt(6) == 0) {
                write(out, "HTTP/1.1 " + (r.nextBoolean() ? "100 Continue" : "103 Early Hints") + "\r\n"
                        + (r.nextBoolean() ? "Link: </a.css>; rel=preload\r\n" : "") + "\r\n");
            }
            int[] codes = {200, 201, 204, 206, 301, 302, 304, 400, 404, 418, 500, 503, 299};
            int code = codes[r.nextInt(codes.length)];
            String reason = switch (r.nextInt(4)) {
                case 0 -> io.netty.handler.codec.http.HttpResponseStatus.valueOf(code).reasonPhrase();
                case 1 -> "";
                case 2 -> "Fine  Then";
                default -> "OK";
            };
            String version = r.nextInt(5) == 0 ? "HTTP/1.0" : "HTTP/1.1";
            StringBuilder head = new StringBuilder(version).append(' ').append(code);
            if (!reason.isEmpty() || r.nextBoolean()) {
                head.append(' ').append(reason);
            }
            head.append(crlf(r));
            int fields = r.nextInt(8);
            for (int i = 0; i < fields; i++) {
                head.append(NAMES.get(r.nextInt(NAMES.size()))).append(r.nextInt(8) == 0 ? " " : "").append(':')
                        .append(SPACES.get(r.nextInt(SPACES.size()))).append(VALUES.get(r.nextInt(VALUES.size())))
                        .append(SPACES.get(r.nextInt(SPACES.size()))).append(crlf(r));
            }
            byte[] body = new byte[r.nextInt(300)];
            r.nextBytes(body);
            boolean bodiless = method == HttpMethod.HEAD || code == 204 || code == 304;
            int framing = bodiless ? r.nextInt(2) : r.nextInt(last ? 3 : 2); // 0 length, 1 chunked, 2 close
            if (framing == 0 && (!bodiless || r.nextBoolean())) {
                head.append(r.nextBoolean() ? "Content-Length" : "content-length").append(": ").append(body.length).append(crlf(r));
            } else if (framing == 1 && !bodiless && version.equals("HTTP/1.0")) {
                framing = last ? 2 : 0;
                if (framing == 0) {
                    head.append("Content-Length: ").append(body.length).append(crlf(r));
                }
            } else if (framing == 1 && !bodiless) {
                head.append(r.nextBoolean() ? "Transfer-Encoding" : "transfer-encoding").append(": ")
                        .append(r.nextBoolean() ? "chunked" : "Chunked").append(crlf(r));
            }
            head.append(crlf(r));
            write(out, head.toString());
            if (bodiless) {
                continue;
            }
            if (framing == 0 || framing == 2) {
                out.writeBytes(body);
                continue;
            }
            int at = 0;
            while (at < body.length) {
                int size = Math.min(body.length - at, 1 + r.nextInt(120));
                String hex = Integer.toHexString(size);
                write(out, (r.nextInt(4) == 0 ? "00" : "") + (r.nextBoolean() ? hex.toUpperCase() : hex)
                        + (r.nextInt(4) == 0 ? ";ext=1;x" : "") + crlf(r));
                out.write(body, at, size);
                write(out, crlf(r));
                at += size;
            }
            StringBuilder end = new StringBuilder("0").append(r.nextInt(4) == 0 ? ";last" : "").append(crlf(r));
            int trailers = r.nextInt(4);
            for (int i = 0; i < trailers; i++) {
                end.append(TRAILER_NAMES.get(r.nextInt(TRAILER_NAMES.size()))).append(": ")
                        .append(VALUES.get(r.nextInt(VALUES.size()))).append(crlf(r));
            }
            write(out, end.append(crlf(r)).toString());
        }
        return new Connection(methods, out.toByteArray());
    }

    private static String crlf(Random r) {
        return "\r\n";
    }

    private static void write(ByteArrayOutputStream out, String s) {
        out.writeBytes(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    /** {@code bytes} in reads cut at random points. */
    static List<byte[]> split(byte[] bytes, long seed) {
        Random r = new Random(seed);
        List<byte[]> reads = new ArrayList<>();
        int at = 0;
        while (at < bytes.length) {
            int n = r.nextInt(3) == 0 ? bytes.length - at : 1 + r.nextInt(Math.max(1, Math.min(64, bytes.length - at)));
            n = Math.min(n, bytes.length - at);
            reads.add(java.util.Arrays.copyOfRange(bytes, at, at + n));
            at += n;
        }
        return reads;
    }

    @Provide
    Arbitrary<Connection> connections() {
        return Arbitraries.longs().map(ResponseDecoderPropertyTest::valid);
    }

    @Property(tries = 1500)
    void validResponsesDecodeAsNettyDecodesThem(@ForAll("connections") Connection c, @ForAll long splitSeed) {
        List<byte[]> reads = split(c.bytes(), splitSeed);
        Decoded netty = Decoded.netty(c.methods(), reads);
        Decoded ours = Decoded.ours(c.methods(), reads);
        assertThat(netty.refused()).as("Netty takes the generated connection %s (%s)", c, netty.cause()).isFalse();
        assertThat(ours.refused()).as("ours takes %s (%s)", c, ours.cause()).isFalse();
        assertThat(ours.events()).as("%s", c).isEqualTo(netty.events());
        assertThat(Decoded.oursKeptHeads(c.methods(), reads).events()).as("each head parsed into the one before, %s", c)
                .isEqualTo(netty.events());
    }

    /** Defects Netty's decoder refuses, each spliced into a valid response. */
    private static final List<String[]> DEFECTS = List.of(
            new String[] {"status", "HTTP/1.1 abc OK\r\n"},
            new String[] {"field", "Content-Length: 5, 6\r\n"},
            new String[] {"field", "Content-Length: -1\r\n"},
            new String[] {"field", "Content-Length: 1x\r\n"},
            new String[] {"field", "Content-Length: 3\r\nContent-Length: 4\r\n"},
            new String[] {"field", "Content-Length: 3\r\nContent-Length: 3\r\n"},
            new String[] {"field", "No-Colon-Here\r\n"},
            new String[] {"field", "X-Long: " + "a".repeat(70_000) + "\r\n"},
            new String[] {"status", "HTTP/1.1 200 " + "O".repeat(9000) + "\r\n"},
            new String[] {"chunk", "zz\r\n"},
            new String[] {"chunk", "ffffffffff\r\n"});

    @Provide
    Arbitrary<Connection> invalid() {
        return Combinators.combine(Arbitraries.longs(), Arbitraries.integers().between(0, DEFECTS.size() - 1)).as((seed, d) -> {
            Random r = new Random(seed);
            String[] defect = DEFECTS.get(d);
            String fields = "X-Foo: a\r\n".repeat(r.nextInt(3));
            String response = switch (defect[0]) {
                case "status" -> defect[1] + fields + "Content-Length: 2\r\n\r\nhi";
                case "field" -> "HTTP/1.1 200 OK\r\n" + fields + defect[1] + "\r\nhi";
                default -> "HTTP/1.1 200 OK\r\n" + fields + "Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n" + defect[1] + "\r\n";
            };
            byte[] bytes = response.getBytes(StandardCharsets.ISO_8859_1);
            return new Connection(List.of(HttpMethod.GET), bytes);
        });
    }

    @Property(tries = 300)
    void responsesNettyRefusesAreRefused(@ForAll("invalid") Connection c, @ForAll long splitSeed) {
        List<byte[]> reads = split(c.bytes(), splitSeed);
        assertThat(Decoded.netty(c.methods(), reads).refused()).as("Netty refuses %s", c).isTrue();
        assertThat(Decoded.ours(c.methods(), reads).refused()).as("ours refuses %s", c).isTrue();
    }
}
