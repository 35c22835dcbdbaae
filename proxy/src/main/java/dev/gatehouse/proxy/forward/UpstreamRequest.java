package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.proxy.auth.KeyAuth;
import dev.gatehouse.proxy.http.HopByHop;
import dev.gatehouse.proxy.http.ProxyHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;

/**
 * Turns the client's request head into the head sent upstream (in place: the decoded head is
 * ours). Always HTTP/1.1 upstream; hop-by-hop fields removed and the body framed as the proxy
 * decoded it (never by a header the client could have had dropped);
 * client-sent consumer headers removed on every request; {@code X-Forwarded-*} and {@code Via}
 * set as nginx and Kong do.
 */
final class UpstreamRequest {
    private UpstreamRequest() {
    }

    /**
     * @param chunked       the decoder read the body as chunked
     * @param contentLength the length the decoder read the body with, or -1 for none; the
     *                      upstream head declares exactly the framing the proxy decoded, whatever
     *                      else the client's headers said
     */
    static void rewrite(HttpRequest req, String uri, boolean chunked, long contentLength, String hostName,
                        SocketAddress client, SocketAddress local) {
        HttpHeaders h = req.headers();
        HopByHop.strip(h);
        h.remove(HttpHeaderNames.CONTENT_LENGTH);
        if (chunked) {
            h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        } else if (contentLength >= 0) {
            h.set(HttpHeaderNames.CONTENT_LENGTH, Long.toString(contentLength));
        }
        h.remove(ProxyHeaders.X_CONSUMER_ID);
        h.remove(ProxyHeaders.X_CONSUMER_CUSTOM_ID);
        h.remove(ProxyHeaders.X_CONSUMER_USERNAME);
        h.remove(ProxyHeaders.X_CREDENTIAL_IDENTIFIER);
        h.remove(ProxyHeaders.X_ANONYMOUS_CONSUMER);

        String clientIp = client instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : "unknown";
        List<String> forwarded = h.getAll(ProxyHeaders.X_FORWARDED_FOR);
        h.set(ProxyHeaders.X_FORWARDED_FOR, forwarded.isEmpty() ? clientIp : String.join(", ", forwarded) + ", " + clientIp);
        h.set(ProxyHeaders.X_FORWARDED_PROTO, ProxyHeaders.HTTP);
        if (hostName != null) {
            h.set(ProxyHeaders.X_FORWARDED_HOST, hostName);
        }
        if (local instanceof InetSocketAddress l) {
            h.setInt(ProxyHeaders.X_FORWARDED_PORT, l.getPort());
        }
        appendVia(h);
        req.setProtocolVersion(HttpVersion.HTTP_1_1);
        req.setUri(uri);
    }

    static void appendVia(HttpHeaders h) {
        List<String> via = h.getAll(HttpHeaderNames.VIA);
        if (via.isEmpty()) {
            h.set(HttpHeaderNames.VIA, ProxyHeaders.VIA_VALUE);
        } else {
            h.set(HttpHeaderNames.VIA, String.join(", ", via) + ", " + ProxyHeaders.VIA_VALUE);
        }
    }

    /** Sets the consumer headers of a key-auth success and hides the key when configured. */
    static void authenticated(HttpHeaders h, KeyAuth.Outcome outcome, boolean hideCredentials) {
        Consumer c = outcome.consumer();
        h.set(ProxyHeaders.X_CONSUMER_ID, c.id());
        if (c.customId() != null) {
            h.set(ProxyHeaders.X_CONSUMER_CUSTOM_ID, c.customId());
        }
        if (c.username() != null) {
            h.set(ProxyHeaders.X_CONSUMER_USERNAME, c.username());
        }
        if (outcome.credentialId() != null) {
            h.set(ProxyHeaders.X_CREDENTIAL_IDENTIFIER, outcome.credentialId());
        }
        if (outcome.anonymous()) {
            h.set(ProxyHeaders.X_ANONYMOUS_CONSUMER, ProxyHeaders.TRUE);
        }
        if (hideCredentials && outcome.keyHeader() != null) {
            h.remove(outcome.keyHeader());
        }
    }
}
