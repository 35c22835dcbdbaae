package dev.gatehouse.app;

import dev.gatehouse.config.channel.Nack;
import dev.gatehouse.controller.channel.ChannelServer;
import dev.gatehouse.controller.channel.ChannelServerConfig;
import dev.gatehouse.controller.channel.ProxyState;
import dev.gatehouse.controller.files.LocalSource;
import dev.gatehouse.controller.keys.ApiKeys;
import dev.gatehouse.proxy.ProxyConfig;
import dev.gatehouse.proxy.ProxyServer;
import dev.gatehouse.proxy.StatusServer;
import dev.gatehouse.proxy.channel.ChannelClient;
import dev.gatehouse.proxy.channel.ChannelClientConfig;
import dev.gatehouse.proxy.observe.AccessLogDestination;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Local mode: the directory source and translator on one side, an in-process proxy on the
 * other, joined by the same snapshot channel a cluster uses (on loopback, with a one-time
 * token). Closing drains the proxy (see {@code ProxyServer#close()}), then stops reading the directory.
 *
 * <p>The proxy port is bound first, before anything of the process is bound to port 0
 * ({@link ProxyServer#bindPort()}), and accepts only once the directory's first snapshot is
 * applied; {@link #start} returns only then: whatever a caller prints after it (the banner of
 * {@code local} and {@code demo}) is true, and the first connection is served by the files' routes.
 */
public final class LocalRuntime implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalRuntime.class);
    /**
     * How long {@link #start} waits, by default, for the in-process proxy to apply the directory's
     * first snapshot ({@code --first-snapshot-timeout}). The first apply compiles the whole
     * config: at 10 000 routes and 50 000 targets that is seconds on a quiet machine and can be
     * tens of seconds on a busy one, so the default is generous; a refusal ends the wait at once.
     */
    public static final Duration FIRST_SNAPSHOT_TIMEOUT = Duration.ofMinutes(5);
    /** While waiting for the first snapshot, a progress line this often. */
    static final Duration PROGRESS = Duration.ofSeconds(5);
    /** Where {@code local} and {@code demo} serve their status port unless told otherwise: this machine only. */
    public static final String STATUS_ADDRESS = "127.0.0.1";
    private final List<AutoCloseable> closeInOrder;
    private final ProxyServer proxy;
    private final StatusServer status;
    private final LocalSource source;

    private LocalRuntime(List<AutoCloseable> closeInOrder, ProxyServer proxy, StatusServer status, LocalSource source) {
        this.closeInOrder = closeInOrder;
        this.proxy = proxy;
        this.status = status;
        this.source = source;
    }

    /**
     * Starts everything, without an access log, and returns once the proxy serves the directory's
     * first snapshot (its port open).
     *
     * @throws IOException when the proxy refused the first snapshot (with its refusal), did not
     *         apply it within {@link #FIRST_SNAPSHOT_TIMEOUT}, or the proxy port cannot open (the bind failure)
     */
    public static LocalRuntime start(Path dir, ProxyConfig config, int statusPort) throws IOException {
        return start(dir, config, statusPort, AccessLogDestination.OFF);
    }

    /** As {@link #start(Path, ProxyConfig, int)}, with an access log; the status port on {@link #STATUS_ADDRESS}. */
    public static LocalRuntime start(Path dir, ProxyConfig config, int statusPort, AccessLogDestination accessLog) throws IOException {
        return start(dir, config, List.of(STATUS_ADDRESS), statusPort, accessLog);
    }

    /** As {@link #start(Path, ProxyConfig, int)}, with an access log and the status port on {@code statusAddresses}. */
    public static LocalRuntime start(Path dir, ProxyConfig config, List<String> statusAddresses, int statusPort,
                                     AccessLogDestination accessLog) throws IOException {
        return start(dir, config, statusAddresses, statusPort, accessLog, null);
    }

    /**
     * As {@link #start(Path, ProxyConfig, List, int, AccessLogDestination)}, with the default certificate:
     * {@code namespace/name} of a kubernetes.io/tls Secret of the directory, or null for none.
     */
    public static LocalRuntime start(Path dir, ProxyConfig config, List<String> statusAddresses, int statusPort,
                                     AccessLogDestination accessLog, String defaultCertificate) throws IOException {
        return start(dir, config, statusAddresses, statusPort, accessLog, defaultCertificate, FIRST_SNAPSHOT_TIMEOUT);
    }

    /**
     * As {@link #start(Path, ProxyConfig, List, int, AccessLogDestination, String)}, waiting up to
     * {@code firstSnapshotTimeout} for the first snapshot to be applied.
     */
    public static LocalRuntime start(Path dir, ProxyConfig config, List<String> statusAddresses, int statusPort,
                                     AccessLogDestination accessLog, String defaultCertificate, Duration firstSnapshotTimeout)
            throws IOException {
        return start(dir, config, statusAddresses, statusPort, accessLog, defaultCertificate, firstSnapshotTimeout, LocalSource.SETTLE);
    }

    /**
     * As above, with how long the directory stays the same before a change is read ({@code --settle},
     * {@link LocalSource#SETTLE} by default).
     */
    public static LocalRuntime start(Path dir, ProxyConfig config, List<String> statusAddresses, int statusPort,
                                     AccessLogDestination accessLog, String defaultCertificate, Duration firstSnapshotTimeout,
                                     Duration settle) throws IOException {
        requirePositive(firstSnapshotTimeout);
        List<AutoCloseable> started = new ArrayList<>();
        // The proxy's side (its event loops, the TLS provider, its meters) starts on a thread of its own
        // while this one reads and translates the directory: neither needs the other until the proxy
        // binds, and each is a good part of a start (docs/benchmarks.md, "Startup and memory"). Not a
        // daemon: threads it makes inherit that.
        FutureTask<ProxyServer> proxyStart = new FutureTask<>(() ->
                ProxyServer.start(config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), accessLog));
        try {
            new Thread(proxyStart, "gatehouse-proxy-start").start();
            Handoff handoff = new Handoff();
            LocalSource source = new LocalSource(dir, handoff, defaultCertificate, java.time.Clock.systemUTC(), settle).start();
            started.add(source);
            String token = ApiKeys.generate(); // while the proxy may still be starting: off the path to the first request
            ProxyServer proxy = started(proxyStart);
            started.add(proxy);
            // The proxy's ports first, then everything bound to port 0 (the channel, a status port 0, the
            // channel client's own end): none of those can be given a port the user chose, and a taken
            // one fails the start before anything else is bound. The TLS port too when the first
            // snapshot opens it (it holds a certificate). Nothing is accepted before that snapshot.
            bindAhead(proxy::bindPort, "--port");
            dev.gatehouse.controller.translate.Translation first = source.translation();
            if (config.tls().enabled() && first != null && !first.snapshot().certificates().isEmpty()) {
                bindAhead(proxy::bindTlsPort, "--tls-port");
            }
            ChannelServer channel = ChannelServer.start(new ChannelServerConfig("127.0.0.1", 0, token, null, null));
            started.add(channel);
            handoff.to(channel);
            io.micrometer.core.instrument.FunctionCounter.builder("gatehouse.local.settle.restarts", source, LocalSource::settleRestarts)
                    .description("Changes of the directory seen while it settled (--settle), each restarting the wait: a file "
                            + "still being written, not read then").register(proxy.metrics().registry());
            io.micrometer.core.instrument.Gauge.builder("gatehouse.local.notifications.missed", source,
                            s -> s.notificationsMissed() ? 1 : 0)
                    .description("1 once a scan found a change of the directory the file system sent no notification for; "
                            + "the directory is polled every 100 ms since").register(proxy.metrics().registry());
            StatusServer status = StatusServer.start(statusAddresses, statusPort, proxy);
            started.add(status);
            ChannelClient client = ChannelClient.start(ChannelClientConfig.of(
                    URI.create("ws://127.0.0.1:" + channel.port() + ChannelServer.PATH), token, "local"), proxy);
            started.add(client);
            proxy.metrics().channelConnected(client::connected);
            awaitServing(proxy.whenListening(), firstSnapshotTimeout, PROGRESS, () -> refusal(channel));
            log.info("event=local.started dir={} proxy={}:{} status={}:{}", dir, config.address(), proxy.port(),
                    String.join(",", statusAddresses), status.port());
            // close order: drain the proxy first (readiness off at once; the files keep applying while it
            // drains), then stop reading files, drop the channel, and the status server last
            List<AutoCloseable> order = new ArrayList<>(List.of(proxy, source, client, channel, status));
            return new LocalRuntime(order, proxy, status, source);
        } catch (IOException | RuntimeException | Error e) {
            // a proxy still starting when the other side failed is closed too, once it has started
            ProxyServer proxy = startedOrNull(proxyStart);
            if (proxy != null && !started.contains(proxy)) {
                started.add(proxy);
            }
            Collections.reverse(started);
            closeAll(started);
            throw e;
        }
    }

    /** Binds one of the proxy's ports ahead of its first snapshot; a failure names the flag that chose the port. */
    private static void bindAhead(Runnable bind, String flag) {
        try {
            bind.run();
        } catch (IllegalStateException e) {
            throw new IllegalStateException(flag + ": " + e.getMessage(), e);
        }
    }

    /**
     * Where the directory's snapshots go: held until the channel is up (the directory is read
     * before it binds, while the proxy starts), then published there, the held one first.
     */
    private static final class Handoff implements dev.gatehouse.controller.publish.SnapshotPublisher {
        private ChannelServer channel;
        private dev.gatehouse.config.Snapshot held;
        private String heldHash;

        synchronized void to(ChannelServer server) {
            channel = server;
            if (held != null) {
                server.publish(held, heldHash);
                held = null;
            }
        }

        @Override
        public void publish(dev.gatehouse.config.Snapshot snapshot) {
            publish(snapshot, null);
        }

        @Override
        public synchronized void publish(dev.gatehouse.config.Snapshot snapshot, String contentHash) {
            if (channel == null) {
                held = snapshot;
                heldHash = contentHash;
            } else {
                channel.publish(snapshot, contentHash); // hashed once, where it was versioned
            }
        }
    }

    /** The started proxy, or what its start threw, as it was thrown (an IllegalStateException names a flag). */
    private static ProxyServer started(FutureTask<ProxyServer> proxyStart) throws IOException {
        try {
            return proxyStart.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IOException(cause.getMessage(), cause);
        }
    }

    /** Waits for the proxy's start to end, also when interrupted (it is to be closed); null when it failed. */
    private static ProxyServer startedOrNull(FutureTask<ProxyServer> proxyStart) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return proxyStart.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException | java.util.concurrent.CancellationException e) {
                    return null;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    static void requirePositive(Duration firstSnapshotTimeout) {
        java.util.Objects.requireNonNull(firstSnapshotTimeout, "firstSnapshotTimeout");
        if (firstSnapshotTimeout.isNegative() || firstSnapshotTimeout.isZero()) {
            throw new IllegalArgumentException("--first-snapshot-timeout: " + firstSnapshotTimeout.toMillis()
                    + " ms (expected: > 0, e.g. 5m)");
        }
    }

    /**
     * Waits for the proxy port to open, which applying the first snapshot does: up to {@code timeout},
     * with an {@code event=local.waiting} line every {@code progress}, and no longer than one
     * {@code progress} once the proxy has refused the snapshot (nothing would change that but a restart).
     *
     * @param refusal the proxy's refusal as " (it refused version N: first error)", or ""
     */
    static void awaitServing(java.util.concurrent.CompletableFuture<?> listening, Duration timeout, Duration progress,
                             java.util.function.Supplier<String> refusal) throws IOException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            try {
                listening.get(Math.max(1, Math.min(left, progress.toNanos())), TimeUnit.NANOSECONDS);
                return;
            } catch (ExecutionException e) {
                throw new IOException(e.getCause().getMessage(), e.getCause());
            } catch (TimeoutException e) {
                String refused = refusal.get();
                long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                if (!refused.isEmpty()) {
                    throw new IOException("the in-process proxy refused the first snapshot" + refused);
                }
                if (System.nanoTime() - deadline >= 0) {
                    throw new IOException("the in-process proxy did not apply the first snapshot within " + timeout.toMillis()
                            + " ms (--first-snapshot-timeout; a large directory on a busy machine may need more)");
                }
                log.info("event=local.waiting for=first_snapshot waited_ms={} timeout_ms={}", waited, timeout.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while starting", e);
            }
        }
    }

    /** The proxy's last refusal, as " (it refused version N: first error)", or "". */
    private static String refusal(ChannelServer channel) {
        for (ProxyState p : channel.proxies()) {
            Nack nack = p.lastNack();
            if (nack != null && !nack.errors().isEmpty()) {
                return " (it refused version " + nack.version() + ": " + nack.errors().get(0) + ")";
            }
        }
        return "";
    }

    public int port() {
        return proxy.port();
    }

    public int statusPort() {
        return status.port();
    }

    public ProxyServer proxy() {
        return proxy;
    }

    /** Files parsed since start: an unchanged file is parsed once (see LocalSource). */
    long parses() {
        return source.parses();
    }

    @Override
    public void close() {
        closeAll(closeInOrder);
        log.info("event=local.stopped");
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                log.warn("event=local.close_failed resource={} error=\"{}\"", r.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
