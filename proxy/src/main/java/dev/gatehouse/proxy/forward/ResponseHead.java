package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.http.HopByHop;
import dev.gatehouse.proxy.http.ProxyHeaders;
import dev.gatehouse.proxy.routing.CompiledFilters;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;

/**
 * Turns the target's response head into the one sent to the client: hop-by-hop fields removed,
 * the body re-framed for the client (chunked for HTTP/1.1 when the length is unknown,
 * close-delimited for HTTP/1.0), {@code Via} appended.
 */
final class ResponseHead {
    private ResponseHead() {
    }

    /** @return whether the client connection must close after this response */
    static boolean rewrite(HttpResponse res, boolean bodyAllowed, boolean clientHttp11, boolean keepAlive) {
        HttpHeaders h = res.headers();
        HopByHop.strip(h);
        res.setProtocolVersion(HttpVersion.HTTP_1_1);
        boolean close = !keepAlive;
        if (bodyAllowed && !h.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            if (clientHttp11) {
                h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
            } else {
                close = true;
            }
        }
        if (close) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (!clientHttp11) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        UpstreamRequest.appendVia(h);
        return close;
    }

    /**
     * The route's response header edits, then the proxy's own fields (which no edit may touch).
     *
     * @param upstreamMillis from the request head sent to the response head received
     * @param proxyMillis    spent in the proxy before the request head was sent (retries included)
     * @param filters        the route's filters; null for none (and for a 101, whose head is the tunnel's)
     */
    static void annotate(HttpResponse res, String requestId, long upstreamMillis, long proxyMillis, CompiledFilters filters) {
        if (filters != null) {
            filters.editResponse(res.headers());
        }
        res.headers().set(ProxyHeaders.X_REQUEST_ID, requestId)
                .set(ProxyHeaders.X_UPSTREAM_LATENCY, millisText(upstreamMillis))
                .set(ProxyHeaders.X_PROXY_LATENCY, millisText(proxyMillis));
    }

    /** The text of 0..{@value #CACHED_MILLIS} - 1 ms, made once: nearly every latency header is one of them. */
    private static final int CACHED_MILLIS = 1024;
    private static final AsciiString[] MILLIS = new AsciiString[CACHED_MILLIS];

    static {
        for (int i = 0; i < CACHED_MILLIS; i++) {
            MILLIS[i] = AsciiString.cached(Integer.toString(i));
        }
    }

    /** A latency header's value without a boxed Long or a new String for the common small values. */
    static CharSequence millisText(long millis) {
        return millis >= 0 && millis < CACHED_MILLIS ? MILLIS[(int) millis] : Long.toString(millis);
    }

    /**
     * {@code c} without its trailers, for a client that does not take them: a chunked HTTP/1.1
     * response would carry them, and the client did not say {@code TE: trailers}.
     */
    static HttpContent withoutTrailers(HttpContent c) {
        if (c instanceof LastHttpContent last && !last.trailingHeaders().isEmpty()) {
            last.trailingHeaders().clear();
        }
        return c;
    }

    static void rewriteInformational(HttpResponse res) {
        HopByHop.strip(res.headers());
        res.setProtocolVersion(HttpVersion.HTTP_1_1);
    }
}
