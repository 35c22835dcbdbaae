package dev.gatehouse.proxy.http1;

import io.netty.util.AsciiString;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link HeadFields} skips the walk of its fields for a name whose bit ({@link HeadFields#sign})
 * no held name has: names that share a bit are still told apart, and a name is found in any case,
 * received or appended, as long as it is held.
 */
class HeadFieldsNamesTest {
    private static HeadFields head(String... fields) {
        StringBuilder b = new StringBuilder("HTTP/1.1 200 OK\r\n");
        for (int i = 0; i < fields.length; i += 2) {
            b.append(fields[i]).append(": ").append(fields[i + 1]).append("\r\n");
        }
        return HeadParser.response(b.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1), 8192, 65536).headers();
    }

    /** Two different names of the same length with the same bit (there are many among 3-letter names). */
    private static String[] sharingABit() {
        List<String> names = new ArrayList<>();
        for (char a = 'a'; a <= 'z'; a++) {
            for (char c = 'a'; c <= 'z'; c++) {
                names.add(a + "-" + c);
            }
        }
        for (String x : names) {
            for (String y : names) {
                if (!x.equals(y) && HeadFields.sign(x) == HeadFields.sign(y)) {
                    return new String[] {x, y};
                }
            }
        }
        throw new AssertionError("no two names share a bit");
    }

    @Test
    void namesSharingABitAreToldApart() {
        String[] pair = sharingABit();
        HeadFields h = head(pair[0], "one");
        assertThat(h.get(pair[1])).isNull();
        assertThat(h.contains(pair[1])).isFalse();
        assertThat(h.get(pair[0].toUpperCase())).isEqualTo("one");
        h.remove(pair[1]);
        assertThat(h.get(pair[0])).isEqualTo("one");
        h.add(pair[1], "two");
        assertThat(h.get(pair[1])).isEqualTo("two");
        assertThat(h.getAll(pair[0])).containsExactly("one");
        h.remove(pair[0]);
        assertThat(h.contains(pair[0])).isFalse();
        assertThat(h.get(pair[1])).isEqualTo("two");
    }

    @Test
    void aNameNotHeldIsNotFoundAndOneAppendedIsInAnyCase() {
        HeadFields h = head("Server", "nginx", "Content-Length", "2");
        assertThat(h.contains("connection")).isFalse();
        assertThat(h.getAll("Transfer-Encoding")).isEmpty();
        assertThat(h.count("Via")).isZero();
        assertThat(h.firstView("Via")).isNull();
        assertThat(h.valueCharSequenceIterator("Via").hasNext()).isFalse();
        assertThat(h.containsValue("Connection", "close", true)).isFalse();
        assertThat(h.get("SERVER")).isEqualTo("nginx");
        assertThat(h.contains(AsciiString.of("content-length"))).isTrue();
        h.set(AsciiString.of("via"), "1.1 gatehouse");
        assertThat(h.get("VIA")).isEqualTo("1.1 gatehouse");
        assertThat(h.containsValue("Via", "1.1 GATEHOUSE", true)).isTrue();
        h.remove("Via");
        assertThat(h.contains("via")).isFalse();
        assertThat(h.size()).isEqualTo(2);
    }
}
