package dev.gatehouse.proxy;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.tls.Listener;
import dev.gatehouse.proxy.tls.ServerCertificates;
import dev.gatehouse.proxy.tls.TlsConfig;
import dev.gatehouse.proxy.tls.TlsHandshakes;
import dev.gatehouse.proxy.tls.TlsProvider;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;
import java.util.concurrent.TimeUnit;

/**
 * The proxy's TLS port (docs/tls.md): a second {@link DataPort} that opens like the cleartext one,
 * with the first snapshot ({@code gatehouse proxy}) or with the first snapshot that holds a
 * certificate ({@code local}, {@code demo}: {@link TlsConfig#alwaysOpen()} false), and stays open
 * from then on; the certificates it serves ({@link ServerCertificates}), planned with each
 * snapshot and committed with its swap; and the TLS steps of its connections
 * ({@link TlsHandshakes}). Steps run under the proxy's apply lock, like the data port's.
 */
final class TlsPort {
    private static final Logger LOG = LoggerFactory.getLogger(TlsPort.class);

    private final TlsConfig config;
    private final DataPort port;
    private final ServerCertificates certificates;
    private final TlsHandshakes handshakes;
    private final Listener cleartext;

    TlsPort(ProxyConfig proxy, ServerCertificates certificates, Listener cleartext, Transport transport, EventLoopGroup group,
            ClientPipeline pipeline, MeterRegistry registry) {
        this.config = proxy.tls();
        this.certificates = certificates;
        this.cleartext = cleartext;
        this.handshakes = new TlsHandshakes(certificates, config, registry);
        TlsHandshakes.AfterHandshake next = pipeline::afterHandshake; // one for every connection, not one each
        this.port = new DataPort("https", proxy.address(), config.port(), proxy.ioThreads(), Listener.tls(), transport, group,
                pipeline.tls(p -> handshakes.addTlsHandlers(p, next)));
        // an applied certificate may come within 14 days of its expiry while nothing changes
        group.next().scheduleAtFixedRate(certificates::checkExpiry, 1, 1, TimeUnit.HOURS);
    }

    /**
     * The certificates of a proxy with a TLS port, for the provider it asks for, with {@code h2} in
     * ALPN when {@code http2}. Resolving {@code auto} costs a third of a second (BoringSSL loaded and
     * initialised with the JDK's TLS), so it is not done before the port can serve: for a port that
     * opens with the first snapshot ({@link TlsConfig#alwaysOpen()}: {@code proxy}) on {@code asideExecutor},
     * beside the rest of the start; for one that opens with the first certificate ({@code local},
     * {@code demo}) when a certificate comes, if one does. {@code openssl} and {@code jdk} are
     * resolved now. Logs the choice ({@code event=tls.provider}) when it is made.
     *
     * @return null when {@code config} has no TLS port
     * @throws IllegalStateException when OpenSSL is asked for and does not load
     */
    static ServerCertificates certificates(TlsConfig config, boolean http2, MeterRegistry registry, Executor asideExecutor) {
        if (!config.enabled()) {
            return null;
        }
        TlsProvider choice = config.provider();
        Supplier<SslProvider> resolve = () -> {
            SslProvider p = choice.resolve();
            LOG.info("event=tls.provider provider={} requested={} alpn={} openssl_available={}{}", TlsProvider.describe(p),
                    choice.flag(), http2 ? "h2,http/1.1" : "http/1.1", OpenSsl.isAvailable(),
                    OpenSsl.isAvailable() ? " openssl_version=\"" + OpenSsl.versionString() + "\"" : "");
            return p;
        };
        if (choice == TlsProvider.AUTO && !config.alwaysOpen()) {
            return ServerCertificates.resolving(resolve, http2, registry);
        }
        return ServerCertificates.resolvingAside(choice == TlsProvider.AUTO ? CompletableFuture.supplyAsync(resolve, asideExecutor)
                : CompletableFuture.completedFuture(resolve.get()), http2, registry);
    }

    /** What the cleartext port's connections are: where {@code httpsRedirect} points until the TLS port is bound. */
    static Listener cleartextListener(TlsConfig config) {
        return Listener.cleartext(config.redirectPort() != 0 ? config.redirectPort() : config.enabled() ? config.port() : 0);
    }

    DataPort port() {
        return port;
    }

    /** The snapshot's certificates, built aside; see {@link ServerCertificates#plan}. */
    ServerCertificates.Plan plan(Snapshot snapshot) {
        return certificates.plan(snapshot.certificates());
    }

    void abandon(ServerCertificates.Plan plan) {
        certificates.abandon(plan);
    }

    /**
     * Binds the port, not accepting yet, when {@code snapshot} opens it: the first snapshot when
     * {@link TlsConfig#alwaysOpen()}, else the first holding a certificate, and whatever snapshot
     * comes first to a port {@link #bindAhead bound ahead} of it.
     *
     * @return true when it opens with this snapshot ({@link #accept} follows the swap)
     * @throws IllegalStateException when the bind fails (final, as the data port's)
     */
    boolean bindIfOpening(Snapshot snapshot, boolean draining) {
        if (port.accepting() || port.closed() || draining) {
            return false;
        }
        if (port.bound()) {
            return true;
        }
        if (!config.alwaysOpen() && snapshot.certificates().isEmpty()) {
            return false;
        }
        bindAhead(snapshot.version());
        return true;
    }

    /**
     * Binds the port now, not accepting: see {@link ProxyServer#bindTlsPort()}.
     *
     * @param version the served snapshot's, for the log of a failure
     * @throws IllegalStateException when the bind fails (final, as the data port's)
     */
    void bindAhead(long version) {
        port.bind(version);
        if (config.redirectPort() == 0) {
            cleartext.httpsPort(port.port());
        }
    }

    void commit(ServerCertificates.Plan plan) {
        certificates.commit(plan);
    }

    void accept(long version) {
        port.accept(version);
    }

    /** For {@code /status}: whether it listens, the provider and the certificates (never a key). */
    Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("listening", port.accepting());
        // the choice until a certificate made the proxy resolve it: /status never waits for it
        String provider = certificates.providerIfResolved();
        m.put("provider", provider != null ? provider : config.provider().flag());
        m.put("certificates", certificates.describe());
        return m;
    }

    /** Releases the certificates; the port itself is closed by the drain. */
    void releaseCertificates() {
        certificates.close();
    }
}
