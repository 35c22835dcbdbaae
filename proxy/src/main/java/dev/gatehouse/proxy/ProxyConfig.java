package dev.gatehouse.proxy;

import dev.gatehouse.proxy.http.TrustedProxies;

import java.time.Duration;
import java.util.Objects;

/**
 * How the proxy listens.
 *
 * @param address       the address to bind, e.g. {@code 0.0.0.0}
 * @param port          the port to bind once the first snapshot is applied; 0 picks an ephemeral
 *                      port (see {@link ProxyServer#port()})
 * @param ioThreads     event-loop threads; each owns its client connections and its upstream pools
 * @param shutdownGrace how long {@link ProxyServer#close()} lets in-flight requests finish
 * @param limits        what one client may hold (deadlines, sizes, connections)
 * @param trustedProxies peers whose X-Forwarded-* headers are believed ({@code --trusted-proxies};
 *                      default none: every peer is the client)
 */
public record ProxyConfig(String address, int port, int ioThreads, Duration shutdownGrace, ClientLimits limits,
                          TrustedProxies trustedProxies) {
    public ProxyConfig {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(trustedProxies, "trustedProxies");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        Objects.requireNonNull(limits, "limits");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
        }
        if (ioThreads < 1) {
            throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: >= 1)");
        }
        if (shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("shutdownGrace: " + shutdownGrace + " (expected: >= 0)");
        }
    }

    /** Trusting no proxy. */
    public ProxyConfig(String address, int port, int ioThreads, Duration shutdownGrace, ClientLimits limits) {
        this(address, port, ioThreads, shutdownGrace, limits, TrustedProxies.NONE);
    }

    /** With the default {@link ClientLimits}, trusting no proxy. */
    public ProxyConfig(String address, int port, int ioThreads, Duration shutdownGrace) {
        this(address, port, ioThreads, shutdownGrace, ClientLimits.DEFAULTS);
    }

    /** 0.0.0.0:8000, one event loop per available processor, 10 s grace, default limits. */
    public static ProxyConfig defaults() {
        return new ProxyConfig("0.0.0.0", 8000, Runtime.getRuntime().availableProcessors(), Duration.ofSeconds(10));
    }

    public ProxyConfig withPort(int newPort) {
        return new ProxyConfig(address, newPort, ioThreads, shutdownGrace, limits, trustedProxies);
    }

    public ProxyConfig withLimits(ClientLimits newLimits) {
        return new ProxyConfig(address, port, ioThreads, shutdownGrace, newLimits, trustedProxies);
    }

    public ProxyConfig withTrustedProxies(TrustedProxies trusted) {
        return new ProxyConfig(address, port, ioThreads, shutdownGrace, limits, trusted);
    }
}
