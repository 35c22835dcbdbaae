package dev.gatehouse.proxy.http1;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

import java.nio.charset.StandardCharsets;

/**
 * Reads one complete request head (request line, field lines, the empty line) out of its bytes
 * into a {@link ParsedRequest}, keeping offsets rather than strings, and decides the body's
 * framing. The byte scan in front of it ({@code StrictRequestDecoder}) already refused control
 * characters, bare CR, obs-fold, a repeated Content-Length and heads over the limits; this
 * refuses, each with a {@link MalformedRequest} (400):
 * <ul>
 *   <li>a line ending in a bare LF (RFC 9112 §2.2);</li>
 *   <li>a request line other than a token method, one space, a target, one space and
 *       {@code HTTP/d.d} (RFC 9112 §3); the version's value is the gate's to judge (505);</li>
 *   <li>a field name that is empty or not a token, or not followed at once by a colon
 *       (RFC 9110 §5.1, RFC 9112 §5.1: whitespace before the colon is refused);</li>
 *   <li>a Content-Length that is not one decimal value up to 2^63-1 (RFC 9110 §8.6); both
 *       Content-Length and Transfer-Encoding (RFC 9112 §6.3); Transfer-Encoding in other than HTTP/1.1;
 *       a Transfer-Encoding whose last coding is not chunked, or with chunked twice
 *       (RFC 9112 §6.1). Codings before a final chunked are left to the gate (501).</li>
 * </ul>
 * Value whitespace at both ends is not part of the value (RFC 9110 §5.5).
 */
public final class RequestHeadParser {
    public static final String BARE_LF = "bare LF line ending (expected: CRLF, RFC 9112 §2.2)";
    public static final String BAD_LINE = "bad request line (expected: method SP request-target SP HTTP/1.1, RFC 9112 §3)";
    public static final String BAD_METHOD = "invalid method (expected: a token, RFC 9110 §9.1)";
    public static final String BAD_NAME = "invalid header field (expected: a token name, a colon, then the value, RFC 9110 §5.1,"
            + " RFC 9112 §5.1)";
    public static final String BAD_LENGTH = "invalid Content-Length (expected: a single non-negative decimal value, RFC 9110 §8.6)";
    public static final String BOTH_FRAMINGS = "both Content-Length and Transfer-Encoding (expected: one of them, RFC 9112 §6.3)";
    public static final String TE_NOT_1_1 = "Transfer-Encoding in a request other than HTTP/1.1 (expected: Content-Length, RFC 9112 §6.1)";
    public static final String OBS_FOLD = "obsolete line folding (expected: every header on one line, RFC 9112 §5.2)";
    public static final String CONTROL = "control character in the request head (expected: visible characters, SP and HT, RFC 9110 §5.5)";
    public static final String BAD_CODING = "bad Transfer-Encoding (expected: chunked as the final coding, RFC 9112 §6.1)";

    private static final HttpMethod[] COMMON = {HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.HEAD,
        HttpMethod.DELETE, HttpMethod.OPTIONS, HttpMethod.PATCH, HttpMethod.TRACE, HttpMethod.CONNECT};

    private RequestHeadParser() {
    }

    /**
     * The request in {@code b}, which holds exactly one head: the request line first, the empty
     * line last; {@code fieldCount}, the number of field lines the scan counted, sizes the offsets.
     */
    public static ParsedRequest parse(byte[] b, int fieldCount) {
        return parse(b, b.length, fieldCount, null);
    }

    /**
     * The request in the first {@code len} bytes of {@code b}, which hold exactly one head: into
     * {@code into} (a head of the same connection nothing reads any more, its offsets reused when
     * large enough) when not null, else into new objects.
     */
    static ParsedRequest parse(byte[] b, int len, int fieldCount, ParsedRequest into) {
        int lf = lineEnd(b, 0, len);
        int end = lf - 1;
        int sp1 = indexOf(b, (byte) ' ', 0, end);
        int sp2 = sp1 < 0 ? -1 : indexOf(b, (byte) ' ', sp1 + 1, end);
        if (sp1 <= 0 || sp2 < 0 || sp2 == sp1 + 1) {
            throw new MalformedRequest(BAD_LINE);
        }
        HttpMethod method = method(b, sp1);
        String uri = sp2 == sp1 + 2 && b[sp1 + 1] == '/' ? "/" : new String(b, sp1 + 1, sp2 - sp1 - 1, StandardCharsets.ISO_8859_1);
        HttpVersion version = version(b, sp2 + 1, end);
        HeadFields fields = fields(b, lf + 1, len, fieldCount, into == null ? null : into.headers());
        long length = contentLength(fields);
        boolean chunked = chunked(fields, version);
        if (chunked && length >= 0) {
            throw new MalformedRequest(BOTH_FRAMINGS);
        }
        if (into == null) {
            return new ParsedRequest(method, uri, version, fields, chunked, length);
        }
        into.reset(method, uri, version, chunked, length);
        return into;
    }

    /**
     * The trailer fields of a chunked body in {@code b} (field lines, then the empty line), without
     * Content-Length, Transfer-Encoding and Trailer (as Netty's decoder drops them). Refuses what a
     * head's fields may not hold: obs-fold, control characters, bare CR or LF, a bad name.
     */
    public static HttpHeaders trailers(byte[] b) {
        for (int i = 0; i < b.length; i++) {
            int c = b[i] & 0xFF;
            boolean lineStart = i == 0 || b[i - 1] == '\n';
            if (lineStart && HeadParser.isSpace(b[i])) {
                throw new MalformedRequest(OBS_FOLD);
            }
            if (c == '\r' && (i + 1 == b.length || b[i + 1] != '\n') || (c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7F) {
                throw new MalformedRequest(CONTROL);
            }
        }
        return HeadParser.trailers(fields(b, 0, b.length, 4, null));
    }

    /**
     * Refuses the request line in {@code b} (the line and its CRLF) as {@link #parse} would: a
     * head whose fields are still on the way is refused as soon as its first line shows it bad.
     */
    public static void checkRequestLine(byte[] b) {
        int end = lineEnd(b, 0, b.length) - 1;
        int sp1 = indexOf(b, (byte) ' ', 0, end);
        int sp2 = sp1 < 0 ? -1 : indexOf(b, (byte) ' ', sp1 + 1, end);
        if (sp1 <= 0 || sp2 < 0 || sp2 == sp1 + 1) {
            throw new MalformedRequest(BAD_LINE);
        }
        method(b, sp1);
        version(b, sp2 + 1, end);
    }

    /** Netty's constant for the usual methods (no object made), else a method of that token. */
    private static HttpMethod method(byte[] b, int end) {
        for (int i = 0; i < end; i++) {
            if (!HeadParser.TOKEN[b[i] & 0xFF]) {
                throw new MalformedRequest(BAD_METHOD);
            }
        }
        for (HttpMethod m : COMMON) {
            AsciiString name = m.asciiName();
            if (name.length() == end && sameBytes(name, b)) {
                return m;
            }
        }
        return HttpMethod.valueOf(new String(b, 0, end, StandardCharsets.US_ASCII));
    }

    private static boolean sameBytes(AsciiString name, byte[] b) {
        for (int i = 0; i < name.length(); i++) {
            if (name.byteAt(i) != b[i]) {
                return false;
            }
        }
        return true;
    }

    /** {@code HTTP/d.d}: Netty's constants for 1.0 and 1.1, else that version (the gate answers 505). */
    private static HttpVersion version(byte[] b, int from, int end) {
        if (end - from != 8 || b[from] != 'H' || b[from + 1] != 'T' || b[from + 2] != 'T' || b[from + 3] != 'P'
                || b[from + 4] != '/' || !digit(b[from + 5]) || b[from + 6] != '.' || !digit(b[from + 7])) {
            throw new MalformedRequest(BAD_LINE);
        }
        int major = b[from + 5] - '0';
        int minor = b[from + 7] - '0';
        if (major == 1 && minor == 1) {
            return HttpVersion.HTTP_1_1;
        }
        if (major == 1 && minor == 0) {
            return HttpVersion.HTTP_1_0;
        }
        return new HttpVersion("HTTP", major, minor, true);
    }

    private static boolean digit(byte c) {
        return c >= '0' && c <= '9';
    }

    /** The field lines from {@code pos} up to the empty line, within the first {@code len} bytes: into {@code into} when not null. */
    private static HeadFields fields(byte[] b, int pos, int len, int expected, HeadFields into) {
        int[] at = HeadParser.offsets(into, expected);
        int count = 0;
        while (true) {
            int lf = lineEnd(b, pos, len);
            int end = lf - 1;
            if (end == pos) {
                return HeadParser.fieldsOf(into, b, at, count);
            }
            int nameEnd = pos;
            while (nameEnd < end && HeadParser.TOKEN[b[nameEnd] & 0xFF]) {
                nameEnd++;
            }
            if (nameEnd == pos || nameEnd == end || b[nameEnd] != ':') {
                throw new MalformedRequest(BAD_NAME);
            }
            at = HeadParser.field(at, count++, b, pos, nameEnd, nameEnd + 1, end);
            pos = lf + 1;
        }
    }

    /** The LF ending the line at {@code from}, within the first {@code len} bytes; refuses a bare one. */
    private static int lineEnd(byte[] b, int from, int len) {
        int lf = indexOf(b, (byte) '\n', from, len);
        if (lf < 0) {
            throw new IllegalStateException("head without its empty line");
        }
        if (lf == from || b[lf - 1] != '\r') {
            throw new MalformedRequest(BARE_LF);
        }
        return lf;
    }

    private static int indexOf(byte[] b, byte c, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] == c) {
                return i;
            }
        }
        return -1;
    }

    /** The one Content-Length (the scan refused a second field), or -1 without one. */
    private static long contentLength(HeadFields h) {
        int at = h.find(HttpHeaderNames.CONTENT_LENGTH, 0);
        if (at < 0) {
            return -1;
        }
        AsciiString v = h.value(at);
        int n = v.length();
        if (n == 0) {
            throw new MalformedRequest(BAD_LENGTH);
        }
        long length = 0;
        for (int i = 0; i < n; i++) {
            byte c = v.byteAt(i);
            if (c < '0' || c > '9' || length > (Long.MAX_VALUE - (c - '0')) / 10) {
                throw new MalformedRequest(BAD_LENGTH);
            }
            length = length * 10 + (c - '0');
        }
        return length;
    }

    /**
     * Whether the body is chunked: the codings of every Transfer-Encoding field, in order, end in
     * chunked and name it once (RFC 9112 §6.1, §7). Only in HTTP/1.1.
     */
    private static boolean chunked(HeadFields h, HttpVersion version) {
        int at = h.find(HttpHeaderNames.TRANSFER_ENCODING, 0);
        if (at < 0) {
            return false;
        }
        if (version != HttpVersion.HTTP_1_1) {
            throw new MalformedRequest(TE_NOT_1_1);
        }
        boolean last = false;
        for (; at >= 0; at = h.find(HttpHeaderNames.TRANSFER_ENCODING, at + 1)) {
            AsciiString v = h.value(at);
            int i = 0;
            int n = v.length();
            while (i <= n) {
                int comma = v.indexOf(',', i);
                int e = comma < 0 ? n : comma;
                int from = i;
                int to = e;
                while (from < to && HeadParser.isSpace(v.byteAt(from))) {
                    from++;
                }
                while (to > from && HeadParser.isSpace(v.byteAt(to - 1))) {
                    to--;
                }
                if (last) {
                    throw new MalformedRequest(BAD_CODING); // chunked is not the last coding, or comes twice
                }
                last = to - from == 7 && v.regionMatches(true, from, "chunked", 0, 7);
                i = e + 1;
            }
        }
        if (!last) {
            throw new MalformedRequest(BAD_CODING);
        }
        return true;
    }
}
