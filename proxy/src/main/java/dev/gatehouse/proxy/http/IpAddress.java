package dev.gatehouse.proxy.http;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * IP addresses as 128 bits in two longs ({@code hi}, {@code lo}), IPv4 as its IPv4-mapped IPv6
 * form {@code ::ffff:a.b.c.d} (RFC 4291 §2.5.5.2), so one comparison serves both families and an
 * IPv4 peer reported on a dual-stack socket compares equal to its dotted text.
 *
 * <p>{@link #parse} reads address text without allocating: it writes the two longs into the
 * caller's {@code long[2]}. It accepts exactly the textual forms of RFC 4291 §2.2 (hex groups,
 * one {@code ::}, a trailing dotted IPv4) and dotted-decimal IPv4 with no leading zeros (which
 * some parsers read as octal); no zone id ({@code %eth0}), no brackets, no port, no host name.
 */
public final class IpAddress {
    /** The high 64 bits of every IPv4 address; its low 64 bits are {@code 0xffff_xxxxxxxx}. */
    static final long V4_HI = 0L;
    static final long V4_PREFIX = 0xFFFFL << 32;

    private IpAddress() {
    }

    /** True when {@code (hi, lo)} is an IPv4 address (IPv4-mapped). */
    public static boolean isV4(long hi, long lo) {
        return hi == V4_HI && (lo & 0xFFFF_FFFF_0000_0000L) == V4_PREFIX;
    }

    /**
     * Parses {@code s[from, to)} as an IPv4 or IPv6 address into {@code out[0]} (high bits) and
     * {@code out[1]} (low bits); allocates nothing.
     *
     * @return false (and {@code out} unspecified) when the text is not an address
     */
    public static boolean parse(CharSequence s, int from, int to, long[] out) {
        if (from >= to) {
            return false;
        }
        for (int i = from; i < to; i++) {
            if (s.charAt(i) == ':') {
                return parseV6(s, from, to, out);
            }
        }
        long v4 = parseV4(s, from, to);
        if (v4 < 0) {
            return false;
        }
        out[0] = V4_HI;
        out[1] = V4_PREFIX | v4;
        return true;
    }

    /** The 128 bits of {@code address} into {@code out}; allocates (once per connection, not per request). */
    public static void of(InetAddress address, long[] out) {
        byte[] b = address.getAddress();
        if (address instanceof Inet4Address) {
            out[0] = V4_HI;
            out[1] = V4_PREFIX | (((b[0] & 0xFFL) << 24) | ((b[1] & 0xFFL) << 16) | ((b[2] & 0xFFL) << 8) | (b[3] & 0xFFL));
            return;
        }
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (b[i] & 0xFFL);
            lo = (lo << 8) | (b[i + 8] & 0xFFL);
        }
        out[0] = hi;
        out[1] = lo;
    }

    /** Dotted-decimal IPv4 as an unsigned 32-bit value, or -1. Four parts 0..255, no leading zero. */
    static long parseV4(CharSequence s, int from, int to) {
        long value = 0;
        int parts = 0;
        int i = from;
        while (true) {
            int start = i;
            int part = 0;
            while (i < to && i - start < 4) {
                char c = s.charAt(i);
                if (c < '0' || c > '9') {
                    break;
                }
                part = part * 10 + (c - '0');
                i++;
            }
            int digits = i - start;
            if (digits == 0 || digits > 3 || part > 255 || (digits > 1 && s.charAt(start) == '0')) {
                return -1;
            }
            value = (value << 8) | part;
            parts++;
            if (i == to) {
                return parts == 4 ? value : -1;
            }
            if (s.charAt(i) != '.' || parts == 4) {
                return -1;
            }
            i++;
        }
    }

    /** The value of an ASCII hex digit, or -1 (not {@link Character#digit}: it takes other scripts' digits). */
    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    /**
     * RFC 4291 §2.2: up to eight 16-bit hex groups, at most one {@code ::} standing for one or
     * more zero groups, and optionally a dotted IPv4 in place of the last two groups. Groups
     * before the {@code ::} gather in {@code head}, those after it in {@code tail}; the address
     * is {@code head} shifted over the missing groups, then {@code tail}.
     */
    private static boolean parseV6(CharSequence s, int from, int to, long[] out) {
        long headHi = 0;
        long headLo = 0;
        int headGroups = 0;
        long tailHi = 0;
        long tailLo = 0;
        int tailGroups = 0;
        boolean compressed = false;
        int i = from;
        if (s.charAt(i) == ':') {
            if (to - i < 2 || s.charAt(i + 1) != ':') {
                return false;
            }
            compressed = true;
            i += 2;
        }
        while (i < to) {
            int start = i;
            int group = 0;
            while (i < to && i - start < 5) {
                int d = hex(s.charAt(i));
                if (d < 0) {
                    break;
                }
                group = (group << 4) | d;
                i++;
            }
            int groups = 1;
            long bits = group;
            if (i < to && s.charAt(i) == '.') {
                // a trailing dotted IPv4 counts for two groups and must end the address
                long v4 = parseV4(s, start, to);
                if (v4 < 0) {
                    return false;
                }
                bits = v4;
                groups = 2;
                i = to;
            } else if (i - start == 0 || i - start > 4) {
                return false;
            }
            if (compressed) {
                tailHi = groups == 2 ? (tailHi << 32) | (tailLo >>> 32) : (tailHi << 16) | (tailLo >>> 48);
                tailLo = groups == 2 ? (tailLo << 32) | bits : (tailLo << 16) | bits;
                tailGroups += groups;
            } else {
                headHi = groups == 2 ? (headHi << 32) | (headLo >>> 32) : (headHi << 16) | (headLo >>> 48);
                headLo = groups == 2 ? (headLo << 32) | bits : (headLo << 16) | bits;
                headGroups += groups;
            }
            if (headGroups + tailGroups > 8) {
                return false;
            }
            if (i == to) {
                break;
            }
            if (s.charAt(i) != ':') {
                return false;
            }
            i++;
            if (i < to && s.charAt(i) == ':') {
                if (compressed) {
                    return false;
                }
                compressed = true;
                i++;
            } else if (i == to) {
                return false; // a trailing single ':'
            }
        }
        if (compressed ? headGroups + tailGroups > 7 : headGroups != 8) {
            return false;
        }
        for (int g = headGroups; g < 8; g++) {
            headHi = (headHi << 16) | (headLo >>> 48);
            headLo <<= 16;
        }
        out[0] = headHi | tailHi;
        out[1] = headLo | tailLo;
        return true;
    }
}
