package dev.gatehouse.proxy.http1;

import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;

/**
 * Reads one complete response head (status line, field lines, the empty line) out of its bytes
 * into a {@link ParsedResponse}, keeping offsets rather than strings. Lines end in CRLF or a bare
 * LF (RFC 9112 §2.2 lets a recipient accept the latter, as Netty does). Refused, each with a
 * {@link MalformedResponse}:
 * <ul>
 *   <li>a status line that is not {@code HTTP/1.0} or {@code HTTP/1.1}, one space, three digits
 *       100..599, then nothing or a space and a reason phrase (RFC 9112 §4, RFC 9110 §15);</li>
 *   <li>a field line starting with whitespace: obs-fold, which a proxy must refuse or rewrite
 *       (RFC 9112 §5.2); Gatehouse refuses it (502);</li>
 *   <li>a field name that is empty or not a token, or a line without a colon (RFC 9110 §5.1,
 *       RFC 9112 §5); whitespace between name and colon is dropped, as RFC 9112 §5.1 asks of a
 *       proxy;</li>
 *   <li>a bare CR, a NUL or any other control character but HTAB in a line (RFC 9112 §2.2,
 *       RFC 9110 §5.5): such bytes are how responses get split.</li>
 * </ul>
 * Value whitespace at both ends is not part of the value (RFC 9110 §5.5).
 */
final class HeadParser {
    /** The bytes of a token (RFC 9110 §5.6.2), for field names and methods; read by both head parsers. */
    static final boolean[] TOKEN = new boolean[256];

    static {
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TOKEN[c] = true;
        }
        for (int c = '0'; c <= '9'; c++) {
            TOKEN[c] = true;
        }
        for (int c = 'a'; c <= 'z'; c++) {
            TOKEN[c] = true;
            TOKEN[c - 32] = true;
        }
    }

    private HeadParser() {
    }

    /** The response in {@code b}, which holds exactly one head (its last line the empty one). */
    static ParsedResponse response(byte[] b, int maxStatusLine, int maxFields) {
        return response(b, b.length, maxStatusLine, maxFields, 8, null);
    }

    /**
     * The response in the first {@code len} bytes of {@code b}, which hold exactly one head;
     * {@code fieldCount}, the number of field lines the decoder's scan counted, sizes the offsets.
     * Parsed into {@code into} (a head of the same connection nothing reads any more, whose
     * offsets are reused when large enough) when not null, else into new objects.
     */
    static ParsedResponse response(byte[] b, int len, int maxStatusLine, int maxFields, int fieldCount, ParsedResponse into) {
        int lf = indexOfLf(b, 0, len);
        int end = lf > 0 && b[lf - 1] == '\r' ? lf - 1 : lf;
        if (end > maxStatusLine) {
            throw new MalformedResponse("status line longer than " + maxStatusLine + " bytes");
        }
        if (len - lf - 1 > maxFields) {
            throw new MalformedResponse("fields longer than " + maxFields + " bytes");
        }
        if (end < 12 || b[0] != 'H' || b[1] != 'T' || b[2] != 'T' || b[3] != 'P' || b[4] != '/' || b[5] != '1'
                || b[6] != '.' || (b[7] != '0' && b[7] != '1') || b[8] != ' ') {
            throw new MalformedResponse("status line does not start with HTTP/1.0 or HTTP/1.1 and a space (RFC 9112 §4)");
        }
        int c0 = b[9] - '0';
        int c1 = b[10] - '0';
        int c2 = b[11] - '0';
        if (c0 < 1 || c0 > 5 || c1 < 0 || c1 > 9 || c2 < 0 || c2 > 9) {
            throw new MalformedResponse("status code is not three digits 100..599 (RFC 9112 §4, RFC 9110 §15)");
        }
        int code = c0 * 100 + c1 * 10 + c2;
        int from = 12;
        if (end > 12) {
            if (b[12] != ' ') {
                throw new MalformedResponse("status code is not followed by a space (RFC 9112 §4)");
            }
            from = 13;
        }
        checkText(b, from, end, "reason phrase");
        while (from < end && isSpace(b[from])) {
            from++;
        }
        int to = end;
        while (to > from && isSpace(b[to - 1])) {
            to--;
        }
        HttpVersion version = b[7] == '1' ? HttpVersion.HTTP_1_1 : HttpVersion.HTTP_1_0;
        HttpResponseStatus status = status(code, b, from, to);
        if (into == null) {
            return new ParsedResponse(version, status, fields(b, lf + 1, len, fieldCount, null));
        }
        fields(b, lf + 1, len, fieldCount, into.headers());
        into.reset(version, status);
        return into;
    }

    /** Netty's constant when the reason is the usual one (no object made), else a status with the target's reason. */
    private static HttpResponseStatus status(int code, byte[] b, int from, int to) {
        HttpResponseStatus usual = HttpResponseStatus.valueOf(code);
        String phrase = usual.reasonPhrase();
        if (phrase.length() == to - from) {
            boolean same = true;
            for (int i = 0; i < phrase.length() && same; i++) {
                same = phrase.charAt(i) == (b[from + i] & 0xFF);
            }
            if (same) {
                return usual;
            }
        }
        return new HttpResponseStatus(code, new String(b, from, to - from, StandardCharsets.ISO_8859_1));
    }

    /**
     * The field lines from {@code pos} up to the empty line that ends the block (a head's fields,
     * or a chunked body's trailer section).
     */
    static HeadFields fields(byte[] b, int pos) {
        return fields(b, pos, b.length, 8, null);
    }

    /** As {@link #fields(byte[], int)}, with the offsets sized for {@code expected} fields (grown if more come). */
    static HeadFields fields(byte[] b, int pos, int expected) {
        return fields(b, pos, b.length, expected, null);
    }

    /**
     * The field lines from {@code pos} up to the empty line, within the first {@code len} bytes
     * of {@code b}: into {@code into} when not null (its offsets reused when large enough), else
     * into a new {@link HeadFields}.
     */
    static HeadFields fields(byte[] b, int pos, int len, int expected, HeadFields into) {
        int[] at = offsets(into, expected);
        int count = 0;
        while (true) {
            int lf = indexOfLf(b, pos, len);
            int end = lf > pos && b[lf - 1] == '\r' ? lf - 1 : lf;
            if (end == pos) {
                return fieldsOf(into, b, at, count);
            }
            if (isSpace(b[pos])) {
                throw new MalformedResponse("field line starts with whitespace (obs-fold, refused: RFC 9112 §5.2)");
            }
            int nameEnd = pos;
            while (nameEnd < end && TOKEN[b[nameEnd] & 0xFF]) {
                nameEnd++;
            }
            int colon = nameEnd;
            while (colon < end && isSpace(b[colon])) {
                colon++;
            }
            if (nameEnd == pos || colon == end || b[colon] != ':') {
                throw new MalformedResponse("field line is not a token name, a colon and a value (RFC 9112 §5, RFC 9110 §5.1)");
            }
            checkText(b, colon + 1, end, "field value");
            at = field(at, count++, b, pos, nameEnd, colon + 1, end);
            pos = lf + 1;
        }
    }

    /** Offsets for {@code expected} fields: {@code into}'s when it has room for them, else new. */
    static int[] offsets(HeadFields into, int expected) {
        int need = 4 * Math.max(1, expected);
        return into != null && into.offsets().length >= need ? into.offsets() : new int[need];
    }

    /** The parsed fields: {@code into}, reset to them, or a new {@link HeadFields}. */
    static HeadFields fieldsOf(HeadFields into, byte[] b, int[] at, int count) {
        if (into == null) {
            return new HeadFields(b, at, count);
        }
        into.reset(b, at, count);
        return into;
    }

    /** Heads up to this many bytes are read into a buffer the connection keeps for its next head. */
    static final int KEPT_BUFFER = 8192;

    /**
     * A buffer for a head of {@code n} bytes: {@code have} (the previous head's, nothing reads it
     * any more) when it holds them and is small enough to keep, else a new one, sized up to leave
     * room for the next heads when it is to be kept. A head over {@value #KEPT_BUFFER} bytes gets
     * an exact one, so a connection keeps at most that much per head.
     */
    static byte[] buffer(byte[] have, int n) {
        if (have != null && n <= have.length && have.length <= KEPT_BUFFER) {
            return have;
        }
        return new byte[n > KEPT_BUFFER ? n : Math.max(256, Integer.highestOneBit(Math.max(1, n - 1)) << 1)];
    }

    /**
     * Keeps field {@code count}'s offsets in {@code at} (grown when full): the name from
     * {@code pos} to {@code nameEnd}, the value between {@code from} (just after the colon) and
     * {@code end} (the line's end) without its whitespace at both ends (RFC 9110 §5.5). The part of
     * the field loop both head parsers share; what a line may hold differs (a response's fields
     * are read leniently where RFC 9112 lets a recipient be, a request's strictly), so each keeps
     * its own loop and calls this. Small enough that the JIT inlines it into both.
     *
     * @return {@code at}, or its grown copy
     */
    static int[] field(int[] at, int count, byte[] b, int pos, int nameEnd, int from, int end) {
        while (from < end && isSpace(b[from])) {
            from++;
        }
        int to = end;
        while (to > from && isSpace(b[to - 1])) {
            to--;
        }
        if (4 * count + 4 > at.length) {
            at = Arrays.copyOf(at, at.length * 2);
        }
        at[4 * count] = pos;
        at[4 * count + 1] = nameEnd;
        at[4 * count + 2] = from;
        at[4 * count + 3] = to;
        return at;
    }

    /** Field values and reason phrases: HTAB, SP, visible ASCII, obs-text; no other control byte, no bare CR (RFC 9110 §5.5). */
    private static void checkText(byte[] b, int from, int to, String what) {
        for (int i = from; i < to; i++) {
            int c = b[i] & 0xFF;
            if ((c < 0x20 && c != '\t') || c == 0x7F) {
                throw new MalformedResponse(what + " holds a control character (RFC 9110 §5.5, RFC 9112 §2.2)");
            }
        }
    }

    private static int indexOfLf(byte[] b, int from, int len) {
        for (int i = from; i < len; i++) {
            if (b[i] == '\n') {
                return i;
            }
        }
        throw new IllegalStateException("head without its empty line");
    }

    static boolean isSpace(byte c) {
        return c == ' ' || c == '\t';
    }

    /**
     * A chunked body's trailer fields as headers, without the framing fields a sender may not put
     * there (Content-Length, Transfer-Encoding, Trailer: RFC 9110 §6.5.1): the same filter on a
     * client's trailers and a target's.
     */
    static HttpHeaders trailers(HeadFields fields) {
        HttpHeaders trailers = DefaultHttpHeadersFactory.trailersFactory().withValidation(false).newHeaders();
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = fields.iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> e = it.next();
            CharSequence name = e.getKey();
            if (!AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.CONTENT_LENGTH)
                    && !AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TRANSFER_ENCODING)
                    && !AsciiString.contentEqualsIgnoreCase(name, HttpHeaderNames.TRAILER)) {
                trailers.add(name.toString(), e.getValue().toString());
            }
        }
        return trailers;
    }
}
