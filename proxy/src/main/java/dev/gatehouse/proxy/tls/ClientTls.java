package dev.gatehouse.proxy.tls;

/**
 * What a finished handshake tells about a client connection, for the access log
 * ({@code tls_version}, {@code sni}). One per connection, made when its handshake completes.
 *
 * @param protocol the negotiated version, e.g. {@code TLSv1.3}
 * @param sni      the server name the client asked for, lower case; null when it sent none
 */
public record ClientTls(String protocol, String sni) {
    /**
     * The connection's handshake, kept on its channel once it is done, for the handlers that ALPN
     * adds after the handshake (the HTTP/1 decoder then, HTTP/2 streams for the access log).
     */
    public static final io.netty.util.AttributeKey<ClientTls> KEY = io.netty.util.AttributeKey.valueOf(ClientTls.class, "tls");
}
