package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.proxy.auth.KeyAuth;
import dev.gatehouse.proxy.http.ClientAddress;
import dev.gatehouse.proxy.http.HopByHop;
import dev.gatehouse.proxy.http.ProxyHeaders;
import dev.gatehouse.proxy.http.WebSocketUpgrade;
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
 * ours). Always HTTP/1.1 upstream; hop-by-hop fields removed (a WebSocket upgrade keeps
 * {@code Connection: upgrade} and {@code Upgrade: websocket}) and the body framed as the proxy
 * decoded it (never by a header the client could have had dropped);
 * client-sent consumer headers removed on every request; {@code X-Forwarded-*} and {@code Via}
 * set as nginx and Kong do, by the trusted-proxies rule ({@link dev.gatehouse.proxy.http.ForwardedFor}):
 *
 * <pre>
 * header               peer not trusted (default)        peer trusted (--trusted-proxies)
 * X-Forwarded-For      the peer's address, nothing else  what the peer sent + ", " + the peer
 * X-Forwarded-Proto    http, https on the TLS port       the peer's, else http or https
 * X-Forwarded-Host     the Host asked for                the peer's, else the Host asked for
 * X-Forwarded-Port     the port the client reached       the peer's, else the port reached
 * Forwarded            removed                           the peer's, untouched
 * </pre>
 */
final class UpstreamRequest {
    private UpstreamRequest() {
    }

    /**
     * @param chunked       the decoder read the body as chunked
     * @param contentLength the length the decoder read the body with, or -1 for none; the
     *                      upstream head declares exactly the framing the proxy decoded, whatever
     *                      else the client's headers said
     * @param client        who sent the request, resolved from the head before this rewrite
     * @param local         the proxy's end of the connection: its port is {@code X-Forwarded-Port}
     * @param tls           the request came in on the TLS port
     */
    static void rewrite(HttpRequest req, String uri, boolean chunked, long contentLength, String hostName,
                        ClientAddress client, SocketAddress local, boolean tls) {
        HttpHeaders h = req.headers();
        boolean websocket = WebSocketUpgrade.requested(h);
        HopByHop.strip(h);
        if (websocket) {
            WebSocketUpgrade.forward(h);
        }
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

        forwarded(h, client, hostName, local, tls);
        appendVia(h);
        req.setProtocolVersion(HttpVersion.HTTP_1_1);
        req.setUri(uri);
    }

    /** The {@code X-Forwarded-*} and {@code Forwarded} fields, as the table above says. */
    private static void forwarded(HttpHeaders h, ClientAddress client, String hostName, SocketAddress local, boolean tls) {
        h.set(ProxyHeaders.X_FORWARDED_FOR, client.forwardedFor());
        boolean keep = client.peerTrusted();
        if (!keep) {
            h.remove(ProxyHeaders.FORWARDED);
            h.remove(ProxyHeaders.X_FORWARDED_HOST);
            h.remove(ProxyHeaders.X_FORWARDED_PORT);
        }
        if (!keep || !h.contains(ProxyHeaders.X_FORWARDED_PROTO)) {
            h.set(ProxyHeaders.X_FORWARDED_PROTO, tls ? ProxyHeaders.HTTPS : ProxyHeaders.HTTP);
        }
        if (hostName != null && (!keep || !h.contains(ProxyHeaders.X_FORWARDED_HOST))) {
            h.set(ProxyHeaders.X_FORWARDED_HOST, hostName);
        }
        if (local instanceof InetSocketAddress l && (!keep || !h.contains(ProxyHeaders.X_FORWARDED_PORT))) {
            h.set(ProxyHeaders.X_FORWARDED_PORT, portText(l.getPort()));
        }
    }

    /**
     * The last port written as {@code X-Forwarded-Port}, with its text: a proxy listens on one or
     * two ports, so the text is made once rather than per request. Racy on purpose: a stale read
     * only makes the text again.
     */
    private static volatile PortText lastPort = new PortText(-1, "");

    private record PortText(int port, String text) {
    }

    static String portText(int port) {
        PortText t = lastPort;
        if (t.port() != port) {
            t = new PortText(port, Integer.toString(port));
            lastPort = t;
        }
        return t.text();
    }

    /** Adds the proxy to {@code Via}; without one (nearly every request) no list is made to find out. */
    static void appendVia(HttpHeaders h) {
        if (!h.contains(HttpHeaderNames.VIA)) {
            h.set(HttpHeaderNames.VIA, ProxyHeaders.VIA_VALUE);
            return;
        }
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
