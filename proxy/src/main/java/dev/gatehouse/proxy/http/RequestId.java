package dev.gatehouse.proxy.http;

import io.netty.util.concurrent.FastThreadLocal;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The {@code X-Request-Id} of a request: the client's value when it is 1..200 visible ASCII
 * characters (0x21..0x7E), otherwise a random id shaped like a UUID (8-4-4-4-12 hex digits).
 */
public final class RequestId {
    static final int MAX_LENGTH = 200;
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    private RequestId() {
    }

    /** The client's id when acceptable, else a new one. */
    public static String accept(String clientValue) {
        return isAcceptable(clientValue) ? clientValue : generate();
    }

    static boolean isAcceptable(String value) {
        if (value == null || value.isEmpty() || value.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    /** A new random id; the text is built in bytes (Latin-1, as the String keeps it), one copy into the String. */
    public static String generate() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        long hi = random.nextLong();
        long lo = random.nextLong();
        byte[] out = SCRATCH.get();
        int p = 0;
        for (int i = 0; i < 32; i++) {
            if (i == 8 || i == 12 || i == 16 || i == 20) {
                out[p++] = '-';
            }
            long word = i < 16 ? hi : lo;
            out[p++] = HEX[(int) (word >>> (60 - 4 * (i % 16))) & 0xf];
        }
        return new String(out, 0, 36, StandardCharsets.ISO_8859_1);
    }

    /** Each thread's buffer for {@link #generate}: read into a new String before the method returns. */
    private static final FastThreadLocal<byte[]> SCRATCH = new FastThreadLocal<>() {
        @Override
        protected byte[] initialValue() {
            return new byte[36];
        }
    };
}
