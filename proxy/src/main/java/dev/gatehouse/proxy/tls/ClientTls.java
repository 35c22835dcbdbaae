package dev.gatehouse.proxy.tls;

/**
 * What a finished handshake tells about a client connection, for the access log
 * ({@code tls_version}, {@code sni}). One per connection, made when its handshake completes.
 *
 * @param protocol the negotiated version, e.g. {@code TLSv1.3}
 * @param sni      the server name the client asked for, lower case; null when it sent none
 */
public record ClientTls(String protocol, String sni) {
}
