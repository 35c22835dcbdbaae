package dev.gatehouse.proxy.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.util.Iterator;

/**
 * Removes hop-by-hop fields (RFC 9110 §7.6.1): Connection and every field it names, Keep-Alive,
 * Proxy-Connection, TE, Trailer, Transfer-Encoding (the codec re-frames the body) and Upgrade.
 * Applied to requests going upstream and to responses going back to the client.
 *
 * <p>Runs on every request and every response: the {@code Connection} tokens are read in place
 * (no list, no split), and the two tokens nearly every message carries, {@code keep-alive} and
 * {@code close}, build no string: the first names a field removed anyway, the second is removed by
 * a constant name.
 */
public final class HopByHop {
    private HopByHop() {
    }

    public static void strip(HttpHeaders headers) {
        if (headers.contains(HttpHeaderNames.CONNECTION)) {
            for (Iterator<? extends CharSequence> it = headers.valueCharSequenceIterator(HttpHeaderNames.CONNECTION); it.hasNext(); ) {
                removeNamed(headers, it.next()); // a view over the head's bytes: no String for the usual tokens
            }
            headers.remove(HttpHeaderNames.CONNECTION);
        }
        headers.remove(HttpHeaderNames.KEEP_ALIVE);
        headers.remove(ProxyHeaders.PROXY_CONNECTION);
        headers.remove(HttpHeaderNames.TE);
        headers.remove(HttpHeaderNames.TRAILER);
        headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
        headers.remove(HttpHeaderNames.UPGRADE);
    }

    /** Removes every field a {@code Connection} value names (comma-separated, optional whitespace). */
    private static void removeNamed(HttpHeaders headers, CharSequence value) {
        int n = value.length();
        int i = 0;
        while (i < n) {
            int comma = indexOf(value, ',', i);
            int end = comma < 0 ? n : comma;
            int from = i;
            int to = end;
            while (from < to && isSpace(value.charAt(from))) {
                from++;
            }
            while (to > from && isSpace(value.charAt(to - 1))) {
                to--;
            }
            if (to > from && !isToken(value, from, to, HttpHeaderValues.KEEP_ALIVE)) { // Keep-Alive goes below anyway
                headers.remove(isToken(value, from, to, HttpHeaderValues.CLOSE) ? HttpHeaderValues.CLOSE : text(value, from, to));
            }
            i = end + 1;
        }
    }

    /** The token {@code value[from, to)} as a name to remove: one copy ({@code AsciiString.subSequence} would make two). */
    private static String text(CharSequence value, int from, int to) {
        return value instanceof AsciiString a ? a.toString(from, to) : value.subSequence(from, to).toString();
    }

    private static int indexOf(CharSequence s, char c, int from) {
        for (int i = from; i < s.length(); i++) {
            if (s.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isToken(CharSequence value, int from, int to, AsciiString token) {
        return to - from == token.length() && token.regionMatches(true, 0, value, from, to - from);
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t';
    }
}
