package dev.gatehouse.proxy.tls;

import java.time.Duration;
import java.util.Objects;

/**
 * How the proxy's TLS port listens (docs/tls.md, "The TLS port").
 *
 * @param enabled          false: no TLS port at all (embedders and tests that do not ask for one)
 * @param port             the port to bind; 0 picks an ephemeral one
 * @param provider         which TLS implementation serves handshakes
 * @param handshakeTimeout from accept to the end of the handshake; a slower client is closed and
 *                         counted ({@code gatehouse_tls_handshakes_total{result="timeout"}})
 * @param alwaysOpen       open the port with the first snapshot even when it holds no certificate
 *                         ({@code gatehouse proxy}); false opens it with the first snapshot that
 *                         holds one ({@code local}, {@code demo})
 * @param redirectPort     the port {@code httpsRedirect} sends clients to (the port clients reach,
 *                         e.g. the Service's 443 in front of the container's 8443); 0 for the
 *                         bound TLS port; 443 is left out of the {@code Location}
 */
public record TlsConfig(boolean enabled, int port, TlsProvider provider, Duration handshakeTimeout, boolean alwaysOpen,
                        int redirectPort) {
    /** The port of {@code --tls-port}'s default. */
    public static final int DEFAULT_PORT = 8443;
    /** The handshake timeout of {@code --tls-handshake-timeout}'s default. */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    /** No TLS port. */
    public static final TlsConfig OFF = new TlsConfig(false, DEFAULT_PORT, TlsProvider.AUTO, DEFAULT_HANDSHAKE_TIMEOUT, false, 0);

    public TlsConfig {
        Objects.requireNonNull(provider, "provider");
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("tlsPort: " + port + " (expected: 0..65535)");
        }
        if (redirectPort < 0 || redirectPort > 65535) {
            throw new IllegalArgumentException("httpsRedirectPort: " + redirectPort + " (expected: 0..65535, 0 for the TLS port)");
        }
        if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
            throw new IllegalArgumentException("tlsHandshakeTimeout: " + handshakeTimeout + " (expected: > 0)");
        }
    }

    /** A TLS port on {@code port} with the defaults: provider auto, 10 s handshakes, opened with the first snapshot. */
    public static TlsConfig on(int port) {
        return new TlsConfig(true, port, TlsProvider.AUTO, DEFAULT_HANDSHAKE_TIMEOUT, true, 0);
    }

    public TlsConfig withProvider(TlsProvider p) {
        return new TlsConfig(enabled, port, p, handshakeTimeout, alwaysOpen, redirectPort);
    }

    public TlsConfig withHandshakeTimeout(Duration d) {
        return new TlsConfig(enabled, port, provider, d, alwaysOpen, redirectPort);
    }

    /** @param open false: the port opens only once a snapshot holds a certificate */
    public TlsConfig withAlwaysOpen(boolean open) {
        return new TlsConfig(enabled, port, provider, handshakeTimeout, open, redirectPort);
    }

    public TlsConfig withRedirectPort(int p) {
        return new TlsConfig(enabled, port, provider, handshakeTimeout, alwaysOpen, p);
    }
}
