package dev.gatehouse.app;

import dev.gatehouse.config.ByteSizes;

/**
 * The channel's message limit as a flag value ({@code 64Mi}, {@code 16777216}): the controller's
 * {@value #CONTROLLER} and the proxy's {@value #PROXY}, counted decompressed. One parser, so both
 * ends read the same grammar and range.
 */
final class MessageLimitFlag {
    static final String CONTROLLER = "--channel-max-message-bytes";
    static final String PROXY = "--max-message-bytes";
    static final String DEFAULT = "64Mi";
    private static final long MIN = 64 * 1024;

    private MessageLimitFlag() {
    }

    /** @throws IllegalArgumentException naming {@code flag} when the value is not a size in 64Ki..2Gi-1 */
    static int parse(String flag, String value) {
        long bytes;
        try {
            bytes = ByteSizes.parse(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(flag + ": '" + value + "' (expected: a size such as 64Mi or 16777216)");
        }
        if (bytes < MIN || bytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(flag + ": " + value + " (expected: 64Ki..2047Mi; the same on the controller "
                    + "and the proxies, default " + DEFAULT + ")");
        }
        return (int) bytes;
    }
}
