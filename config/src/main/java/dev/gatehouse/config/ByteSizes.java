package dev.gatehouse.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte sizes written as Kubernetes quantities: digits with an optional suffix, binary
 * {@code Ki Mi Gi Ti} (powers of 1024) or decimal {@code k M G T} (powers of 1000), e.g.
 * {@code 1048576}, {@code 512Ki}, {@code 10Mi}, {@code 1M}, {@code 1Gi}. No fractions, no sign,
 * no exponent, no other suffix. The largest size is {@link Long#MAX_VALUE} bytes.
 */
public final class ByteSizes {
    /**
     * The schema pattern of a byte-size limit field: a size, or the empty string for no limit.
     * {@code Schema.BYTE_SIZE} in the crds module holds the same text; a controller test proves it.
     */
    public static final String PATTERN = "^([0-9]+(Ki|Mi|Gi|Ti|k|M|G|T)?)?$";
    private static final Pattern SIZE = Pattern.compile("([0-9]+)(Ki|Mi|Gi|Ti|k|M|G|T)?");
    private static final String EXPECTED = "expected: a byte size such as 1048576, 512Ki, 10Mi, 1M or 1Gi: "
            + "digits and an optional suffix Ki, Mi, Gi, Ti (powers of 1024) or k, M, G, T (powers of 1000)";

    private ByteSizes() {
    }

    /**
     * @return the size in bytes
     * @throws IllegalArgumentException naming the value and the expected form, for anything
     *                                  {@link #PATTERN} refuses, for the empty string (which is
     *                                  "no limit", not a size) and for a size above {@link Long#MAX_VALUE}
     */
    public static long parse(String text) {
        Matcher m = text == null ? null : SIZE.matcher(text);
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("\"" + text + "\" is not a byte size (" + EXPECTED + ")");
        }
        long unit = m.group(2) == null ? 1 : switch (m.group(2)) {
            case "Ki" -> 1L << 10;
            case "Mi" -> 1L << 20;
            case "Gi" -> 1L << 30;
            case "Ti" -> 1L << 40;
            case "k" -> 1_000L;
            case "M" -> 1_000_000L;
            case "G" -> 1_000_000_000L;
            default -> 1_000_000_000_000L;
        };
        try {
            return Math.multiplyExact(Long.parseLong(m.group(1)), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("\"" + text + "\" is too large (expected: at most "
                    + Long.MAX_VALUE + " bytes)");
        }
    }
}
