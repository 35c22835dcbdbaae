package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.balance.Peer;
import dev.gatehouse.proxy.http1.ParsedRequest;
import dev.gatehouse.proxy.routing.RequestHost;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;

/** The request head an {@link Exchange}'s attempt sends: the Host the target is to see, and how the head is framed. */
final class UpstreamHost {
    private UpstreamHost() {
    }

    /**
     * The request head for an attempt on {@code peer}: the Host the target is to see (the
     * client's when the route preserves it, else the service's host header, else the target's
     * {@code host:port}). A bodiless request to an HTTP/1.1 target gets its head and its (empty)
     * end as one message over the same headers, so the encoder makes one buffer and the attempt
     * one write, one promise and one flush where a head and a separate empty end took two of
     * each; the bytes on the wire are the same. A head the proxy decoded ({@link ParsedRequest})
     * is marked instead ({@link ParsedRequest#endInHead}), so no message is made for it.
     *
     * @param clientHost  the Host the client asked for, or null
     * @param endInHead   the request is bodiless by its HTTP/1.1 framing and the target speaks
     *                    HTTP/1.1 (an HTTP/2 stream takes the head and the end apart)
     */
    static HttpRequest head(HttpRequest request, CompiledRoute route, RequestHost clientHost, Peer peer, boolean endInHead) {
        HttpHeaders h = request.headers();
        if (!route.route().preserveHost() || clientHost == null) {
            String hostHeader = route.service().hostHeader();
            h.set(HttpHeaderNames.HOST, hostHeader != null ? hostHeader : hostOf(peer));
        } else {
            h.set(HttpHeaderNames.HOST, clientHost.authority());
        }
        if (request instanceof ParsedRequest p) {
            p.endInHead(endInHead); // the encoder writes its end with it (no object per request)
            return request;
        }
        if (endInHead) {
            return new DefaultFullHttpRequest(request.protocolVersion(), request.method(), request.uri(), Unpooled.EMPTY_BUFFER,
                    h, EmptyHttpHeaders.INSTANCE);
        }
        return request;
    }

    /**
     * The target's {@code host:port}: its key when that is all the key is (a literal or a name not
     * looked up yet), so no string is built per request; {@code host:port@address} keys (one DNS
     * record of a named target) give the configured {@code host:port}.
     */
    static String hostOf(Peer peer) {
        String key = peer.key();
        return key.indexOf('@') < 0 ? key : peer.target().address();
    }
}
