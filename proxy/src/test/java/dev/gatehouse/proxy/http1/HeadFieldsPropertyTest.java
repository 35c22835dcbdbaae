package dev.gatehouse.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link HeadFields} against {@code DefaultHttpHeaders}: the same received fields, the same
 * random edits (what the relay does: contains, get, getAll, containsValue, remove, set, add;
 * now and then a call that turns the fields into a map), the same answers, the same entries in
 * the same order, and {@link HeadFields#writeTo} writes the lines Netty's encoder writes, whatever
 * whitespace the received fields had around their values.
 */
class HeadFieldsPropertyTest {
    @AfterContainer
    static void noBufferLeaked() throws InterruptedException {
        dev.gatehouse.proxy.LeakCheck.assertNone("HeadFieldsPropertyTest");
    }

    private static final String[] NAMES = {"Connection", "connection", "Via", "X-A", "x-a", "Set-Cookie", "Content-Length",
            "Transfer-Encoding", "Keep-Alive", "x-request-id", "TE", "Upgrade", "Trailer", "Proxy-Connection",
            "X-Forwarded-Host", "X-Forwarded-Proto", "x-forwarded-port", "Host", "apikey", "X-Consumer-ID"};
    /** The last is longer than the scratch array writeTo starts with (2 KiB), so its growth is taken too. */
    private static final String[] VALUES = {"close", "keep-alive, X-A", "1.1 a", "v", "", "chunked", "a, close ,b",
            "x".repeat(2500)};
    /** Between name and value: optional whitespace other than the one space the proxy writes. */
    private static final String[] SEPARATORS = {":", ":  ", ":\t", ": \t"};
    /** Optional whitespace after a value (not part of it). */
    private static final String[] TRAILING = {" ", "\t", " \t "};

    private static java.util.List<String> text(HttpHeaders h) {
        return h.entries().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
    }

    @Property(tries = 2000)
    void editsAnswerAsDefaultHttpHeadersDoes(@ForAll long seed) {
        Random r = new Random(seed);
        StringBuilder head = new StringBuilder("HTTP/1.1 200 OK\r\n");
        HttpHeaders expected = DefaultHttpHeadersFactory.headersFactory().withValidation(false).newHeaders();
        int n = r.nextInt(8);
        for (int i = 0; i < n; i++) {
            String name = NAMES[r.nextInt(NAMES.length)];
            String value = VALUES[r.nextInt(VALUES.length)];
            // mostly as the proxy writes fields (copied in runs), else with other whitespace (copied in parts)
            head.append(name).append(r.nextInt(3) > 0 ? ": " : SEPARATORS[r.nextInt(SEPARATORS.length)]).append(value)
                    .append(r.nextInt(4) > 0 ? "" : TRAILING[r.nextInt(TRAILING.length)]).append("\r\n");
            expected.add(name, value);
        }
        byte[] bytes = head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
        HeadFields actual = HeadParser.response(bytes, 8192, 65536).headers();
        int ops = r.nextInt(10);
        for (int i = 0; i < ops; i++) {
            CharSequence name = r.nextBoolean() ? NAMES[r.nextInt(NAMES.length)] : AsciiString.of(NAMES[r.nextInt(NAMES.length)]);
            String value = VALUES[r.nextInt(VALUES.length)];
            switch (r.nextInt(9)) {
                case 0 -> assertThat(actual.contains(name)).isEqualTo(expected.contains(name));
                case 1 -> assertThat(actual.get(name)).isEqualTo(expected.get(name));
                case 2 -> assertThat(actual.getAll(name)).isEqualTo(expected.getAll(name));
                case 3 -> assertThat(actual.containsValue(name, value, true)).as("%s %s", name, value)
                        .isEqualTo(expected.containsValue(name, value, true));
                case 4 -> {
                    actual.remove(name);
                    expected.remove(name);
                }
                case 5 -> {
                    actual.set(name, value);
                    expected.set(name, value);
                }
                case 6 -> {
                    actual.add(name, value);
                    expected.add(name, value);
                }
                case 7 -> assertThat(actual.contains(name, value, false)).isEqualTo(expected.contains(name, value, false));
                default -> {
                    if (r.nextInt(4) == 0) {
                        assertThat(new java.util.ArrayList<>(actual.names())).isEqualTo(new java.util.ArrayList<>(expected.names())); // turns the fields into a map
                    }
                }
            }
            assertThat(actual.size()).isEqualTo(expected.size());
        }
        assertThat(text(actual)).isEqualTo(text(expected));
        ByteBuf written = Unpooled.buffer();
        try {
            if (actual.writeTo(written)) {
                StringBuilder lines = new StringBuilder();
                for (Map.Entry<String, String> e : expected) {
                    lines.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
                }
                assertThat(written.toString(StandardCharsets.ISO_8859_1)).isEqualTo(lines.toString());
            } else {
                assertThat(actual.materialised()).isTrue();
            }
        } finally {
            written.release();
        }
    }
}
