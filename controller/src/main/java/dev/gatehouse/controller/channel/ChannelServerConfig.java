package dev.gatehouse.controller.channel;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where and how the {@link ChannelServer} listens.
 *
 * @param address the address to bind, e.g. {@code 0.0.0.0} in a pod, {@code 127.0.0.1} in tests
 * @param port    the port to bind; 0 picks a free one ({@link ChannelServer#port()} tells which)
 * @param token   the bearer token every proxy must send; null turns authentication off (tests
 *                and local mode only). Never printed: {@link #toString()} redacts it.
 * @param tlsCert the server certificate chain (PEM); null with {@code tlsKey} for plain WebSocket
 * @param tlsKey  the certificate's private key (PEM: PKCS#8, PKCS#1 RSA or SEC1 EC); null with {@code tlsCert}.
 *                Both files are re-read every 10 s; a changed pair serves new connections
 */
public record ChannelServerConfig(String address, int port, String token, Path tlsCert, Path tlsKey) {
    public ChannelServerConfig {
        Objects.requireNonNull(address, "address");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
        }
        if (token != null && token.isBlank()) {
            throw new IllegalArgumentException("token: blank (expected: a non-blank token, or null for no authentication)");
        }
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("tlsCert, tlsKey: only one given (expected: both for TLS, neither for plain)");
        }
    }

    /** A plain, unauthenticated server on loopback: tests and local mode. */
    public static ChannelServerConfig loopback(int port) {
        return new ChannelServerConfig("127.0.0.1", port, null, null, null);
    }

    public boolean tls() {
        return tlsCert != null;
    }

    @Override
    public String toString() {
        return "ChannelServerConfig[address=" + address + ", port=" + port
                + ", token=" + (token == null ? "none" : "[redacted]")
                + ", tlsCert=" + tlsCert + ", tlsKey=" + tlsKey + "]";
    }
}
