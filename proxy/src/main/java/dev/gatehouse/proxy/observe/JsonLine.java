package dev.gatehouse.proxy.observe;

import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * One access-log line built straight into UTF-8 bytes: no {@code String}, no {@code char[]} and no
 * encoder pass per line; on an event loop, straight into its access-log chunk ({@link #into}). One instance per event loop, reused for every line it formats; not
 * thread-safe.
 *
 * <p>Strings are escaped as RFC 8259 §7 asks ({@code "}, {@code \}, control characters);
 * characters outside ASCII are written as UTF-8, an unpaired surrogate as {@code ?}. Times are
 * ISO-8601 UTC with milliseconds ({@code 2026-12-01T13:05:07.042Z}); the text of the current
 * second is kept, so a line only formats its three millisecond digits.
 */
final class JsonLine {
    private static final byte[] NULL = {'n', 'u', 'l', 'l'};
    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    /** The ASCII characters a JSON string holds as they are: not a control character, {@code "} or {@code \\}. */
    private static final boolean[] PLAIN = new boolean[0x80];

    static {
        for (char c = 0x20; c < 0x80; c++) {
            PLAIN[c] = c != '"' && c != '\\';
        }
    }

    /** This line's own array: where it is built after {@link #reset()}, and where it spills to. */
    private byte[] own = new byte[1024];
    /** Where the line is being built: {@link #own}, or a caller's buffer ({@link #into}). */
    private byte[] bytes = own;
    /** The line's first byte in {@link #bytes}. */
    private int start;
    /** One past the line's last byte in {@link #bytes}. */
    private int length;
    /** The epoch second whose text {@link #secondText} holds ({@code yyyy-MM-ddTHH:mm:ss.}). */
    private long cachedSecond = Long.MIN_VALUE;
    private final byte[] secondText = new byte[20];

    /** Starts a line in this line's own array. */
    void reset() {
        bytes = own;
        start = 0;
        length = 0;
    }

    /**
     * Starts a line at {@code at} in {@code target} (an event loop's access-log chunk), so a line
     * that fits is formatted in place and never copied. A line that outgrows {@code target} moves
     * to this line's own array: then {@link #bytes()} is no longer {@code target}.
     */
    void into(byte[] target, int at) {
        bytes = target;
        start = at;
        length = at;
    }

    /** Where the line is: {@code bytes()[start() .. length())}. */
    byte[] bytes() {
        return bytes;
    }

    int start() {
        return start;
    }

    /** One past the line's last byte in {@link #bytes()}. */
    int length() {
        return length;
    }

    JsonLine ascii(String s) {
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            bytes[length++] = (byte) s.charAt(i);
        }
        return this;
    }

    JsonLine ascii(char c) {
        ensure(1);
        bytes[length++] = (byte) c;
        return this;
    }

    /**
     * The bytes of {@code ,"name":}, a field's key with the comma before it: made once per field
     * (a constant of the caller), so writing a key is one copy. {@code name} is plain ASCII.
     */
    static byte[] key(String name) {
        byte[] k = new byte[name.length() + 4];
        k[0] = ',';
        k[1] = '"';
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c >= 0x80 || !PLAIN[c]) {
                throw new IllegalArgumentException("name: " + name + " (expected: plain ASCII)");
            }
            k[i + 2] = (byte) c;
        }
        k[k.length - 2] = '"';
        k[k.length - 1] = ':';
        return k;
    }

    /** {@code key} ({@link #key}) then the value as a JSON string, or {@code null}. */
    JsonLine field(byte[] key, String value) {
        raw(key);
        if (value == null) {
            return raw(NULL);
        }
        return string(value);
    }

    /** {@code key} ({@link #key}) then a whole number. */
    JsonLine field(byte[] key, long value) {
        return raw(key).number(value);
    }

    /** {@code key} ({@link #key}) then {@code m.uuu}: nanoseconds as milliseconds with three decimals (microsecond precision). */
    JsonLine millisField(byte[] key, long nanos) {
        raw(key);
        long micros = Math.round(nanos / 1_000.0);
        if (micros < 0) {
            ascii('-');
            micros = -micros;
        }
        number(micros / 1_000);
        long frac = micros % 1_000;
        ensure(4);
        bytes[length++] = '.';
        bytes[length++] = (byte) ('0' + frac / 100);
        bytes[length++] = (byte) ('0' + frac / 10 % 10);
        bytes[length++] = (byte) ('0' + frac % 10);
        return this;
    }

    /** {@code key} ({@link #key}) then {@code null}. */
    JsonLine nullField(byte[] key) {
        return raw(key).raw(NULL);
    }

    /** The instant as a JSON string, ISO-8601 UTC with milliseconds. */
    JsonLine time(long epochMillis) {
        long second = Math.floorDiv(epochMillis, 1000);
        if (second != cachedSecond) {
            String text = LocalDateTime.ofEpochSecond(second, 0, ZoneOffset.UTC).toString();
            // LocalDateTime prints "yyyy-MM-ddTHH:mm" when the seconds are zero: always write them
            if (text.length() == 16) {
                text += ":00";
            }
            if (text.length() != 19) { // years beyond 9999 or before 0: not a clock this proxy reads
                return ascii('"').ascii(java.time.Instant.ofEpochMilli(epochMillis).toString()).ascii('"');
            }
            for (int i = 0; i < 19; i++) {
                secondText[i] = (byte) text.charAt(i);
            }
            secondText[19] = '.';
            cachedSecond = second;
        }
        ascii('"').raw(secondText);
        int ms = (int) Math.floorMod(epochMillis, 1000);
        ensure(5);
        bytes[length++] = (byte) ('0' + ms / 100);
        bytes[length++] = (byte) ('0' + ms / 10 % 10);
        bytes[length++] = (byte) ('0' + ms % 10);
        bytes[length++] = 'Z';
        bytes[length++] = '"';
        return this;
    }

    JsonLine number(long v) {
        if (v == Long.MIN_VALUE) {
            return ascii(Long.toString(v));
        }
        if (v < 0) {
            ascii('-');
            v = -v;
        }
        int digits = 1;
        for (long t = v; t >= 10; t /= 10) {
            digits++;
        }
        ensure(digits);
        for (int i = length + digits - 1; i >= length; i--) {
            bytes[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        length += digits;
        return this;
    }

    /**
     * {@code key} then {@code "ip:port"} ({@code "[ip]:port"} for IPv6; {@code "ip"} when {@code port < 0}),
     * as {@code ClientAddress.toString()} reads, without building that string.
     */
    JsonLine addressField(byte[] key, String ip, int port) {
        raw(key).ascii('"');
        boolean v6 = port >= 0 && ip.indexOf(':') >= 0;
        if (v6) {
            ascii('[');
        }
        stringBody(ip);
        if (v6) {
            ascii(']');
        }
        if (port >= 0) {
            ascii(':').number(port);
        }
        return ascii('"');
    }

    /** A JSON string: quoted, escaped, UTF-8. */
    JsonLine string(String s) {
        ascii('"');
        stringBody(s);
        return ascii('"');
    }

    /**
     * The string's characters, escaped, as UTF-8. Plain ASCII (what a line mostly holds) is copied in
     * one tight loop; the first character that is not sends the rest through {@link #escapedBody}.
     */
    private void stringBody(String s) {
        int n = s.length();
        ensure(n);
        byte[] b = bytes;
        int at = length;
        int i = 0;
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c >= 0x80 || !PLAIN[c]) {
                break;
            }
            b[at + i] = (byte) c;
        }
        length = at + i;
        if (i < n) {
            escapedBody(s, i, n);
        }
    }

    private void escapedBody(String s, int from, int n) {
        for (int i = from; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80 && PLAIN[c]) {
                ensure(1);
                bytes[length++] = (byte) c;
            } else if (c < 0x80) {
                escape(c);
            } else if (c < 0x800) {
                ensure(2);
                bytes[length++] = (byte) (0xC0 | c >> 6);
                bytes[length++] = (byte) (0x80 | c & 0x3F);
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                ensure(4);
                bytes[length++] = (byte) (0xF0 | cp >> 18);
                bytes[length++] = (byte) (0x80 | cp >> 12 & 0x3F);
                bytes[length++] = (byte) (0x80 | cp >> 6 & 0x3F);
                bytes[length++] = (byte) (0x80 | cp & 0x3F);
            } else if (Character.isSurrogate(c)) {
                ascii('?');
            } else {
                ensure(3);
                bytes[length++] = (byte) (0xE0 | c >> 12);
                bytes[length++] = (byte) (0x80 | c >> 6 & 0x3F);
                bytes[length++] = (byte) (0x80 | c & 0x3F);
            }
        }
    }

    private void escape(char c) {
        switch (c) {
            case '"' -> ascii("\\\"");
            case '\\' -> ascii("\\\\");
            case '\n' -> ascii("\\n");
            case '\r' -> ascii("\\r");
            case '\t' -> ascii("\\t");
            default -> {
                ensure(6);
                bytes[length++] = '\\';
                bytes[length++] = 'u';
                bytes[length++] = '0';
                bytes[length++] = '0';
                bytes[length++] = HEX[c >> 4 & 0xF];
                bytes[length++] = HEX[c & 0xF];
            }
        }
    }

    JsonLine raw(byte[] b) {
        ensure(b.length);
        System.arraycopy(b, 0, bytes, length, b.length);
        length += b.length;
        return this;
    }

    private void ensure(int more) {
        if (length + more <= bytes.length) {
            return;
        }
        int n = length - start;
        if (bytes != own || n + more > own.length) {
            byte[] to = n + more > own.length ? new byte[Math.max(own.length * 2, n + more)] : own;
            System.arraycopy(bytes, start, to, 0, n);
            own = to;
            bytes = to;
            start = 0;
            length = n;
        }
    }
}
