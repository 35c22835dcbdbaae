package dev.gatehouse.proxy;

import dev.gatehouse.proxy.http.TrustedProxies;
import dev.gatehouse.proxy.observe.ProxyMetrics;
import dev.gatehouse.proxy.observe.TracingConfig;
import dev.gatehouse.proxy.tls.TlsConfig;

import java.time.Duration;
import java.util.Objects;

/**
 * How the proxy listens, and how it drains on {@link ProxyServer#close()} (see {@link Drain}).
 *
 * @param address      the address to bind, e.g. {@code 0.0.0.0}
 * @param port         the port to bind once the first snapshot is applied; 0 picks an ephemeral
 *                     port (see {@link ProxyServer#port()})
 * @param ioThreads    event-loop threads; each owns its client connections and its upstream pools
 * @param drainDelay   how long the port keeps accepting after the drain starts (readiness is 503
 *                     from its first instant), so load balancers and endpoint controllers stop
 *                     sending new connections before it closes; 0 closes it at once
 * @param drainTimeout after the port stopped accepting, how long in-flight requests may finish
 *                     before what is left is closed
 * @param limits       what one client may hold (deadlines, sizes, connections)
 * @param trustedProxies peers whose X-Forwarded-* headers are believed ({@code --trusted-proxies};
 *                     default none: every peer is the client)
 * @param tls          the TLS port ({@link TlsConfig#OFF}: none)
 * @param http2        HTTP/2 towards clients (h2c with prior knowledge; its limits)
 * @param tracing      spans exported over OTLP and W3C trace context upstream ({@link TracingConfig#OFF}: none)
 * @param transport    the event loops' socket transport ({@code --transport}; {@link TransportChoice#AUTO}: epoll, else NIO)
 * @param metricsDrainWait how long a scrape of {@code /metrics} waits, in all, for the event loops to
 *                     record their request timers ({@code --metrics-drain-wait}); a loop still busy
 *                     then holds them for the next scrape, logged and counted as late
 * @param upstreamKeepalive how long connections to targets are kept ({@code --upstream-keepalive-idle-timeout},
 *                     {@code --upstream-keepalive-max-requests})
 */
public record ProxyConfig(String address, int port, int ioThreads, Duration drainDelay, Duration drainTimeout,
                          ClientLimits limits, TrustedProxies trustedProxies, TlsConfig tls, Http2Config http2,
                          TracingConfig tracing, TransportChoice transport, Duration metricsDrainWait,
                          UpstreamKeepalive upstreamKeepalive) {
    /** The drain delay of {@link #defaults()} and of {@code gatehouse --drain-delay}. */
    public static final Duration DEFAULT_DRAIN_DELAY = Duration.ofSeconds(5);
    /** The drain timeout of {@link #defaults()} and of {@code gatehouse --drain-timeout}. */
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(30);
    /** The metrics drain wait of {@link #defaults()} and of {@code gatehouse --metrics-drain-wait}. */
    public static final Duration DEFAULT_METRICS_DRAIN_WAIT = ProxyMetrics.DEFAULT_DRAIN_WAIT;

    public ProxyConfig {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(drainDelay, "drainDelay");
        Objects.requireNonNull(drainTimeout, "drainTimeout");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(trustedProxies, "trustedProxies");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(http2, "http2");
        Objects.requireNonNull(tracing, "tracing");
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(metricsDrainWait, "metricsDrainWait");
        Objects.requireNonNull(upstreamKeepalive, "upstreamKeepalive");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
        }
        if (ioThreads < 1) {
            throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: >= 1)");
        }
        if (drainDelay.isNegative()) {
            throw new IllegalArgumentException("drainDelay: " + drainDelay + " (expected: >= 0)");
        }
        if (drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drainTimeout: " + drainTimeout + " (expected: >= 0)");
        }
        if (metricsDrainWait.isNegative()) {
            throw new IllegalArgumentException("metricsDrainWait: " + metricsDrainWait + " (expected: >= 0)");
        }
    }

    /** With the default upstream keep-alive ({@link UpstreamKeepalive#DEFAULTS}). */
    public ProxyConfig(String address, int port, int ioThreads, Duration drainDelay, Duration drainTimeout,
                       ClientLimits limits, TrustedProxies trustedProxies, TlsConfig tls, Http2Config http2,
                       TracingConfig tracing, TransportChoice transport, Duration metricsDrainWait) {
        this(address, port, ioThreads, drainDelay, drainTimeout, limits, trustedProxies, tls, http2, tracing, transport,
                metricsDrainWait, UpstreamKeepalive.DEFAULTS);
    }

    /** With the default metrics drain wait ({@link #DEFAULT_METRICS_DRAIN_WAIT}). */
    public ProxyConfig(String address, int port, int ioThreads, Duration drainDelay, Duration drainTimeout,
                       ClientLimits limits, TrustedProxies trustedProxies, TlsConfig tls, Http2Config http2,
                       TracingConfig tracing, TransportChoice transport) {
        this(address, port, ioThreads, drainDelay, drainTimeout, limits, trustedProxies, tls, http2, tracing, transport,
                DEFAULT_METRICS_DRAIN_WAIT);
    }

    /** With the {@link TransportChoice#AUTO} transport. */
    public ProxyConfig(String address, int port, int ioThreads, Duration drainDelay, Duration drainTimeout,
                       ClientLimits limits, TrustedProxies trustedProxies, TlsConfig tls, Http2Config http2,
                       TracingConfig tracing) {
        this(address, port, ioThreads, drainDelay, drainTimeout, limits, trustedProxies, tls, http2, tracing, TransportChoice.AUTO);
    }

    /** Without tracing. */
    public ProxyConfig(String address, int port, int ioThreads, Duration drainDelay, Duration drainTimeout,
                       ClientLimits limits, TrustedProxies trustedProxies, TlsConfig tls, Http2Config http2) {
        this(address, port, ioThreads, drainDelay, drainTimeout, limits, trustedProxies, tls, http2, TracingConfig.OFF);
    }

    /** Without a TLS port, HTTP/2 at its defaults ({@link Http2Config#DEFAULTS}). */
    public ProxyConfig(String address, int port, int ioThreads, Duration drainDelay, Duration drainTimeout,
                       ClientLimits limits, TrustedProxies trustedProxies) {
        this(address, port, ioThreads, drainDelay, drainTimeout, limits, trustedProxies, TlsConfig.OFF, Http2Config.DEFAULTS);
    }

    /** Trusting no proxy. */
    public ProxyConfig(String address, int port, int ioThreads, Duration drainDelay, Duration drainTimeout,
                       ClientLimits limits) {
        this(address, port, ioThreads, drainDelay, drainTimeout, limits, TrustedProxies.NONE);
    }

    /**
     * With the default {@link ClientLimits} and no drain delay (the port closes as soon as
     * {@link ProxyServer#close()} starts: for tests and embedders with no load balancer in front).
     */
    public ProxyConfig(String address, int port, int ioThreads, Duration drainTimeout) {
        this(address, port, ioThreads, Duration.ZERO, drainTimeout, ClientLimits.DEFAULTS);
    }

    /** No drain delay, as {@link #ProxyConfig(String, int, int, Duration)}. */
    public ProxyConfig(String address, int port, int ioThreads, Duration drainTimeout, ClientLimits limits) {
        this(address, port, ioThreads, Duration.ZERO, drainTimeout, limits);
    }

    /** 0.0.0.0:8000, one event loop per available processor, drain delay 5 s and timeout 30 s, default limits. */
    public static ProxyConfig defaults() {
        return new ProxyConfig("0.0.0.0", 8000, Runtime.getRuntime().availableProcessors(), DEFAULT_DRAIN_DELAY,
                DEFAULT_DRAIN_TIMEOUT, ClientLimits.DEFAULTS);
    }

    public ProxyConfig withPort(int newPort) {
        return new ProxyConfig(address, newPort, ioThreads, drainDelay, drainTimeout, limits, trustedProxies, tls, http2,
                tracing, transport, metricsDrainWait, upstreamKeepalive);
    }

    public ProxyConfig withLimits(ClientLimits newLimits) {
        return new ProxyConfig(address, port, ioThreads, drainDelay, drainTimeout, newLimits, trustedProxies, tls, http2,
                tracing, transport, metricsDrainWait, upstreamKeepalive);
    }

    public ProxyConfig withDrain(Duration newDelay, Duration newTimeout) {
        return new ProxyConfig(address, port, ioThreads, newDelay, newTimeout, limits, trustedProxies, tls, http2,
                tracing, transport, metricsDrainWait, upstreamKeepalive);
    }

    public ProxyConfig withTrustedProxies(TrustedProxies trusted) {
        return new ProxyConfig(address, port, ioThreads, drainDelay, drainTimeout, limits, trusted, tls, http2,
                tracing, transport, metricsDrainWait, upstreamKeepalive);
    }

    /** With the TLS port {@code newTls} ({@link TlsConfig#OFF}: none). */
    public ProxyConfig withTls(TlsConfig newTls) {
        return new ProxyConfig(address, port, ioThreads, drainDelay, drainTimeout, limits, trustedProxies, newTls, http2,
                tracing, transport, metricsDrainWait, upstreamKeepalive);
    }

    public ProxyConfig withHttp2(Http2Config newHttp2) {
        return new ProxyConfig(address, port, ioThreads, drainDelay, drainTimeout, limits, trustedProxies, tls, newHttp2,
                tracing, transport, metricsDrainWait, upstreamKeepalive);
    }

    /** With tracing {@code newTracing} ({@link TracingConfig#OFF}: none). */
    public ProxyConfig withTracing(TracingConfig newTracing) {
        return new ProxyConfig(address, port, ioThreads, drainDelay, drainTimeout, limits, trustedProxies, tls, http2,
                newTracing, transport, metricsDrainWait, upstreamKeepalive);
    }

    /** With the event loops' transport {@code newTransport}. */
    public ProxyConfig withTransport(TransportChoice newTransport) {
        return new ProxyConfig(address, port, ioThreads, drainDelay, drainTimeout, limits, trustedProxies, tls, http2,
                tracing, newTransport, metricsDrainWait, upstreamKeepalive);
    }

    /** With a scrape waiting at most {@code newWait} for the event loops' request timers. */
    public ProxyConfig withMetricsDrainWait(Duration newWait) {
        return new ProxyConfig(address, port, ioThreads, drainDelay, drainTimeout, limits, trustedProxies, tls, http2, tracing, transport,
                newWait, upstreamKeepalive);
    }

    /** With connections to targets kept as {@code newKeepalive} says. */
    public ProxyConfig withUpstreamKeepalive(UpstreamKeepalive newKeepalive) {
        return new ProxyConfig(address, port, ioThreads, drainDelay, drainTimeout, limits, trustedProxies, tls, http2, tracing, transport,
                metricsDrainWait, newKeepalive);
    }
}
