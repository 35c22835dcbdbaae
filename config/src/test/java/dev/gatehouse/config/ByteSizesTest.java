package dev.gatehouse.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ByteSizesTest {

    @ParameterizedTest(name = "{0} = {1} bytes")
    @CsvSource(delimiter = '|', textBlock = """
            0                   | 0
            1048576             | 1048576
            512Ki               | 524288
            10Mi                | 10485760
            1Gi                 | 1073741824
            2Ti                 | 2199023255552
            1k                  | 1000
            1M                  | 1000000
            3G                  | 3000000000
            1T                  | 1000000000000
            007Ki               | 7168
            9223372036854775807 | 9223372036854775807
            8388607Ti           | 9223370937343148032
            """)
    void parsesQuantities(String text, long bytes) {
        assertThat(ByteSizes.parse(text)).isEqualTo(bytes);
        assertThat(text).matches(ByteSizes.PATTERN);
    }

    @ParameterizedTest(name = "\"{0}\" is refused")
    @ValueSource(strings = {"", " 1Mi", "1Mi ", "1.5Mi", "-1", "+1", "1e3", "1K", "1KB", "1MB", "1mi", "1m", "1Pi", "1Ei",
            "Mi", "ten", "0x10", "1 Mi"})
    void refusesOtherForms(String text) {
        assertThatThrownBy(() -> ByteSizes.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("\"" + text + "\" is not a byte size (expected: a byte size such as 1048576, 512Ki, 10Mi, 1M or 1Gi: "
                        + "digits and an optional suffix Ki, Mi, Gi, Ti (powers of 1024) or k, M, G, T (powers of 1000))");
    }

    @ParameterizedTest(name = "\"{0}\" overflows")
    @ValueSource(strings = {"9223372036854775808", "8388608Ti", "9999999999999999999999", "9223372036854776k"})
    void refusesSizesAboveLongMaxValue(String text) {
        assertThatThrownBy(() -> ByteSizes.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("\"" + text + "\" is too large (expected: at most 9223372036854775807 bytes)");
    }

    @Test
    void nullIsNotASize() {
        assertThatThrownBy(() -> ByteSizes.parse(null)).hasMessageStartingWith("\"null\" is not a byte size");
    }

    /** What the CRD schema lets through, the translator parses (or refuses as too large); the rest it refuses too. */
    @Test
    void patternAdmitsExactlyWhatParseReads() {
        List<String> samples = List.of("", "0", "1", "10Mi", "512Ki", "1Gi", "2Ti", "1k", "1M", "1G", "1T", "1.5Mi", "-1",
                "1K", "1MB", "1e3", " 1", "Mi", "9223372036854775808", "8388608Ti");
        for (String s : samples) {
            boolean admitted = s.matches(ByteSizes.PATTERN);
            boolean parsesOrOverflows;
            try {
                ByteSizes.parse(s);
                parsesOrOverflows = true;
            } catch (IllegalArgumentException e) {
                parsesOrOverflows = e.getMessage().contains("too large");
            }
            assertThat(admitted).as("\"%s\": the pattern admits it iff it is empty (no limit) or a size", s)
                    .isEqualTo(s.isEmpty() || parsesOrOverflows);
        }
    }
}
