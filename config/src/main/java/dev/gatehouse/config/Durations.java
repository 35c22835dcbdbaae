package dev.gatehouse.config;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kubernetes-style duration strings: one or more {@code <number><unit>} parts with units
 * {@code ms}, {@code s}, {@code m}, {@code h}, e.g. {@code 500ms}, {@code 5s}, {@code 1m30s}.
 * The CRD schema refuses other forms with {@link #PATTERN}.
 */
public final class Durations {
    /** The schema pattern; the same text is used in the CRDs. */
    public static final String PATTERN = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$";
    private static final Pattern WHOLE = Pattern.compile(PATTERN);
    private static final Pattern PART = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(ms|s|m|h)");

    private Durations() {
    }

    /**
     * @return the duration in milliseconds
     * @throws IllegalArgumentException naming the value and the expected form
     */
    public static long parseMillis(String text) {
        if (text == null || !WHOLE.matcher(text).matches()) {
            throw new IllegalArgumentException("\"" + text + "\" is not a duration (expected: e.g. 500ms, 5s, 1m30s)");
        }
        Matcher m = PART.matcher(text);
        double total = 0;
        while (m.find()) {
            double n = Double.parseDouble(m.group(1));
            total += switch (m.group(2)) {
                case "ms" -> n;
                case "s" -> n * 1_000;
                case "m" -> n * 60_000;
                default -> n * 3_600_000;
            };
        }
        return Math.round(total);
    }
}
