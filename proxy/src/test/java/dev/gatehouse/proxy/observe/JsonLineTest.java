package dev.gatehouse.proxy.observe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The access log's byte formatter: what a JSON parser reads back is what went in. */
class JsonLineTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode parse(JsonLine line) throws Exception {
        return JSON.readTree(new String(line.bytes(), 0, line.length(), StandardCharsets.UTF_8));
    }

    @Test
    void stringsRoundTripWhateverTheyHold() throws Exception {
        String[] values = {"plain", "quote\" back\\slash", "ctl\n\r\t\u0001\u001f", "é ü ñ", "€ 中文", "emoji \uD83D\uDE00",
                "", "/p?a=1&b=%20"};
        for (String v : values) {
            JsonLine line = new JsonLine();
            line.ascii("{\"x\":0").field(JsonLine.key("v"), v).field(JsonLine.key("n"), (String) null).ascii('}');
            JsonNode n = parse(line);
            assertThat(n.get("v").asText()).isEqualTo(v);
            assertThat(n.get("n").isNull()).isTrue();
        }
        JsonLine lone = new JsonLine();
        lone.ascii("{\"x\":0").field(JsonLine.key("v"), "a\uD800b").ascii('}');
        assertThat(parse(lone).get("v").asText()).isEqualTo("a?b");
    }

    /**
     * The exact bytes of strings whose first character to escape sits at the start, the middle and
     * the end (where the plain ASCII run stops), and of every control character.
     */
    @Test
    void escapesAreExactWhereverThePlainRunStops() {
        String[][] cases = {
            {"\"abc", "\"\\\"abc\""}, {"ab\\c", "\"ab\\\\c\""}, {"abc\n", "\"abc\\n\""}, {"\u007f~ ", "\"\u007f~ \""},
            {"a\u00e9b", "\"a\u00e9b\""}, {"\u0000\u001f\r\t\b", "\"\\u0000\\u001f\\r\\t\\u0008\""}, {"", "\"\""},
        };
        for (String[] c : cases) {
            JsonLine line = new JsonLine();
            line.string(c[0]);
            assertThat(new String(line.bytes(), 0, line.length(), StandardCharsets.UTF_8)).as(c[0]).isEqualTo(c[1]);
        }
        JsonLine line = new JsonLine();
        line.raw(JsonLine.key("k_1"));
        assertThat(new String(line.bytes(), 0, line.length(), StandardCharsets.US_ASCII)).isEqualTo(",\"k_1\":");
    }

    @Test
    void numbersMillisAndTimesReadBack() throws Exception {
        long[] numbers = {0, 7, 10, 999, 1_000_000_007L, -42, Long.MAX_VALUE, Long.MIN_VALUE};
        for (long v : numbers) {
            JsonLine line = new JsonLine();
            line.ascii("{\"x\":0").field(JsonLine.key("v"), v).ascii('}');
            assertThat(parse(line).get("v").asLong()).isEqualTo(v);
        }
        long[][] millis = {{0, 0}, {1_204_499, 1_204}, {1_204_500, 1_205}, {999, 1}, {12_345_678_901_234L, 12_345_678_901L}};
        for (long[] m : millis) {
            JsonLine line = new JsonLine();
            line.ascii("{\"x\":0").millisField(JsonLine.key("v"), m[0]).ascii('}');
            assertThat(parse(line).get("v").decimalValue().movePointRight(3).longValueExact()).as("%d ns", m[0]).isEqualTo(m[1]);
        }
        JsonLine line = new JsonLine();
        long[] instants = {0, 1_764_594_307_042L, 1_764_594_300_000L, 1_764_594_307_999L, 1_764_594_307_001L};
        for (long t : instants) { // one formatter, so the cached second is reused and replaced
            line.reset();
            line.ascii("{\"t\":").time(t).ascii('}');
            String text = parse(line).get("t").asText();
            assertThat(Instant.parse(text).toEpochMilli()).as(text).isEqualTo(t);
            assertThat(text).hasSize(24).endsWith("Z");
        }
    }

    @Test
    void addressesReadAsClientAddressPrintsThem() throws Exception {
        String[][] cases = {{"203.0.113.7", "51544", "203.0.113.7:51544"}, {"2001:db8::7", "443", "[2001:db8::7]:443"},
                {"198.51.100.23", "-1", "198.51.100.23"}, {"unknown", "-1", "unknown"}};
        for (String[] c : cases) {
            JsonLine line = new JsonLine();
            line.ascii("{\"x\":0").addressField(JsonLine.key("client"), c[0], Integer.parseInt(c[1])).ascii('}');
            assertThat(parse(line).get("client").asText()).isEqualTo(c[2]);
        }
    }

    @Test
    void aLineBuiltInPlaceLeavesWhatPrecedesItAndSpillsWhenItOutgrowsTheBuffer() {
        byte[] chunk = new byte[64];
        byte[] before = "previous line\n".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(before, 0, chunk, 0, before.length);
        JsonLine line = new JsonLine();

        line.into(chunk, before.length);
        line.ascii("{\"x\":0").field(JsonLine.key("v"), "é\"").ascii('}');
        assertThat(line.bytes()).isSameAs(chunk); // fitted: formatted in place, nothing copied
        assertThat(new String(chunk, 0, line.length(), StandardCharsets.UTF_8)).isEqualTo("previous line\n{\"x\":0,\"v\":\"é\\\"\"}");

        line.into(chunk, line.length());
        String longValue = "x".repeat(100);
        line.ascii("{\"x\":1").field(JsonLine.key("v"), longValue).ascii('}');
        assertThat(line.bytes()).isNotSameAs(chunk); // outgrew the chunk: moved to the line's own array, whole
        assertThat(new String(line.bytes(), line.start(), line.length() - line.start(), StandardCharsets.UTF_8))
                .isEqualTo("{\"x\":1,\"v\":\"" + longValue + "\"}");
        assertThat(new String(chunk, 0, before.length, StandardCharsets.US_ASCII)).isEqualTo("previous line\n");

        line.reset(); // the next line after a spill starts clean
        line.ascii("{}");
        assertThat(new String(line.bytes(), line.start(), line.length() - line.start(), StandardCharsets.UTF_8)).isEqualTo("{}");
    }
}
