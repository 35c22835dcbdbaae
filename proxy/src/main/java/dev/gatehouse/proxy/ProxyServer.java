package dev.gatehouse.proxy;

import dev.gatehouse.config.Problem;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotIndex;
import dev.gatehouse.config.channel.ObjectDeltaChanges;
import dev.gatehouse.proxy.balance.Balancers;
import dev.gatehouse.proxy.forward.CompiledSnapshot;
import dev.gatehouse.proxy.forward.DataPlane;
import dev.gatehouse.proxy.forward.RetryBudgets;
import dev.gatehouse.proxy.forward.UpstreamPool;
import dev.gatehouse.proxy.forward.UpstreamTls;
import dev.gatehouse.proxy.health.HealthChecker;
import dev.gatehouse.proxy.observe.AccessLog;
import dev.gatehouse.proxy.observe.AccessLogDestination;
import dev.gatehouse.proxy.observe.EdgeMeters;
import dev.gatehouse.proxy.observe.ProxyMetrics;
import dev.gatehouse.proxy.observe.RequestObserver;
import dev.gatehouse.proxy.observe.Tracing;
import dev.gatehouse.proxy.observe.UpstreamConnectionMeters;
import dev.gatehouse.proxy.tls.Listener;
import dev.gatehouse.proxy.tls.ServerCertificates;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ThreadPerTaskExecutor;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The data plane: accepts client connections and forwards their requests as the applied
 * snapshot says. One event loop per I/O thread owns its client connections, their upstream
 * connections and its upstream pool. Snapshots are validated, compiled and swapped atomically
 * by {@link #apply(Snapshot)}; a bad one is refused and the previous one keeps serving.
 *
 * <p><b>No traffic before config.</b> {@link #start} prepares the event loops, upstream pools and
 * meters but does not bind: the data port stays closed (a client's connect is refused) until the
 * first snapshot is applied, so nothing is answered {@code 404} for want of a snapshot and a load
 * balancer probing the port does not see it up early. The first successful {@link #apply} binds
 * the port before it returns (so {@link #port()} is valid then) and accepts connections only once
 * that snapshot is in place ({@link DataPort}); it logs {@code event=proxy.listening}. A refused
 * snapshot leaves the port closed. A failed bind is final: see {@link #apply}. {@link #bindPort()}
 * binds ahead of the first snapshot, for commands that must hold their port before anything else.
 *
 * <p>With {@link ProxyConfig#tls()} on, a second data port serves the same proxy over TLS
 * ({@link TlsPort}, docs/tls.md): it opens the same way (with the first snapshot, or the first
 * holding a certificate), its certificates are planned and committed with each snapshot, and
 * the drain closes both ports together.
 */
public final class ProxyServer implements AutoCloseable, dev.gatehouse.proxy.channel.SnapshotSink {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyServer.class);

    private final ProxyConfig config;
    private final EventLoopGroup group;
    /** The event loops' transport: {@code io_uring}, {@code epoll} or {@code nio}. */
    private final String transport;
    private final DataPort dataPort;
    /** The TLS port and its certificates; null when the config has none. */
    private final TlsPort tls;
    private final Map<EventLoop, UpstreamPool> pools;
    /** The pools' client TLS contexts, made once a snapshot has an https or grpcs service. */
    private final UpstreamTls upstreamTls;
    private final ChannelGroup clients = new DefaultChannelGroup("gatehouse-clients", GlobalEventExecutor.INSTANCE);
    private final DataPlane plane = new DataPlane();
    private final ProxyMetrics metrics;
    private final RequestObserver observer;
    private final Balancers balancers = new Balancers(this::reapply);
    private final RetryBudgets retryBudgets = new RetryBudgets();
    private final HealthChecker health = new HealthChecker(balancers);
    private final EdgeMeters edge;
    private final Drain drain;
    /** Set by the first {@link #close()}; a second one returns at once. */
    private final AtomicBoolean closing = new AtomicBoolean();
    /** Set once the drain is over and the proxy is being torn down: snapshots are ignored from then on. */
    private boolean closed;
    /** The apply path; used under this object's lock. */
    private final SnapshotSwap swap;

    private ProxyServer(ProxyConfig config, Transport transport, EventLoopGroup group, Map<EventLoop, UpstreamPool> pools,
                        UpstreamTls upstreamTls, ProxyMetrics metrics, RequestObserver observer, ServerCertificates certificates) {
        this.upstreamTls = upstreamTls;
        this.config = config;
        this.group = group;
        this.transport = transport.name();
        this.pools = pools;
        this.metrics = metrics;
        this.observer = observer;
        this.edge = new EdgeMeters(metrics.registry());
        Listener cleartext = TlsPort.cleartextListener(config.tls());
        ClientPipeline pipeline = new ClientPipeline(config, clients, plane, pools, observer, edge);
        this.dataPort = new DataPort("http", config.address(), config.port(), config.ioThreads(), cleartext, transport, group,
                pipeline.cleartext());
        this.tls = certificates == null ? null : new TlsPort(config, certificates, cleartext, transport, group,
                pipeline, metrics.registry());
        metrics.connections(clients::size);
        this.drain = new Drain(config, plane, tls == null ? List.of(dataPort) : List.of(dataPort, tls.port()), clients,
                metrics.registry());
        this.swap = new SnapshotSwap(plane, dataPort, tls, pools, metrics, balancers, retryBudgets, health);
    }

    /** Prepares the proxy (the port opens with the first snapshot); metrics in a fresh Prometheus registry, no access log. */
    public static ProxyServer start(ProxyConfig config) {
        return start(config, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }

    /** Prepares the proxy (the port opens with the first snapshot); metrics in {@code registry}, no access log. */
    public static ProxyServer start(ProxyConfig config, MeterRegistry registry) {
        return start(config, registry, AccessLogDestination.OFF);
    }

    /**
     * Prepares the proxy: event loops, upstream pools, meters and the access log. Does not bind:
     * the data port opens when the first snapshot is applied ({@link #apply}).
     *
     * @param registry  where the proxy's meters go; {@code /metrics} of the status server
     *                  serves it when it is (or holds) a {@link PrometheusMeterRegistry}
     * @param accessLog where the access log goes (one JSON line per request)
     */
    public static ProxyServer start(ProxyConfig config, MeterRegistry registry, AccessLogDestination accessLog) {
        ProxyMetrics metrics = new ProxyMetrics(registry, config.metricsDrainWait());
        RequestObserver observer;
        try {
            observer = new RequestObserver(metrics, AccessLog.open(accessLog, metrics), Tracing.start(config.tracing(), registry));
        } catch (IOException e) {
            throw new IllegalStateException("cannot open the access log " + accessLog, e);
        }
        // what TLS needs that takes long to make is made when it is needed, on threads of its own, and no
        // plain-HTTP request waits for it: the TLS port's provider (TlsPort.certificates), the upstreams'
        // client contexts once a snapshot has an https or grpcs service (UpstreamTls)
        Executor aside = new ThreadPerTaskExecutor(new DefaultThreadFactory("gatehouse-tls-setup", true));
        ServerCertificates certificates;
        try {
            certificates = TlsPort.certificates(config.tls(), config.http2().enabled(), registry, aside);
        } catch (IllegalStateException e) {
            observer.close();
            throw e;
        }
        Transport transport;
        try {
            transport = Transport.of(config.transport());
        } catch (IllegalStateException e) {
            LOG.error("event=proxy.transport name={} available=false error=\"{}\"", config.transport(), e.getMessage());
            observer.close();
            throw e;
        }
        LOG.info("event=proxy.transport name={} asked={} reason=\"{}\"", transport.name(), config.transport(), transport.reason());
        RingAllocator.bindTo(registry, transport);
        EventLoopGroup group = transport.newGroup(config.ioThreads(), "gatehouse-io");
        observer.attach(group);
        Map<EventLoop, UpstreamPool> pools = new IdentityHashMap<>();
        UpstreamTls tls = UpstreamTls.aside(aside);
        try {
            UpstreamConnectionMeters upstreamMeters = new UpstreamConnectionMeters(metrics.registry());
            for (EventExecutor e : group) {
                EventLoop loop = (EventLoop) e;
                pools.put(loop, loop.submit(() -> new UpstreamPool(loop, transport, tls, config.upstreamKeepalive(),
                        upstreamMeters)).get());
            }
        } catch (InterruptedException | ExecutionException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            observer.close();
            throw new IllegalStateException("cannot start the upstream pools", e);
        }
        ProxyServer server = new ProxyServer(config, transport, group, Map.copyOf(pools), tls, metrics, observer, certificates);
        LOG.info("event=proxy.waiting address={} port={} tls_port={} transport={} eventLoops={} trusted_proxies={}"
                        + " tracing={} upstream_keepalive_idle_timeout={} upstream_keepalive_max_requests={}"
                        + " until=\"the first snapshot is applied\"",
                config.address(), config.port(), config.tls().enabled() ? config.tls().port() : "off", transport.name(),
                config.ioThreads(), config.trustedProxies(), config.tracing(), config.upstreamKeepalive().idleTimeout(),
                config.upstreamKeepalive().maxRequests());
        return server;
    }

    /** The event loops' transport ({@code --transport}): {@code io_uring}, {@code epoll} or {@code nio}. */
    public String transport() {
        return transport;
    }

    /**
     * Binds the data port now, ahead of the first snapshot, not accepting: nothing the process binds
     * to port 0 later (a listener, an outgoing connection) can be given it, and a port another
     * process holds fails the start before anything else is bound. A connect meanwhile waits in the
     * backlog, unanswered (never a {@code 404} from an empty config), and is served once the first
     * snapshot is applied. For {@code local} and {@code demo}, whose first snapshot is moments away;
     * {@code proxy}, whose controller may be away, keeps its port closed. Logs {@code event=proxy.bound}.
     *
     * @throws IllegalStateException naming the address, the port and the cause when the bind fails
     *         (final, as in {@link #apply}); when closing, or bound already
     */
    public synchronized void bindPort() {
        bindAhead(dataPort, () -> dataPort.bind(current().version()));
    }

    /**
     * As {@link #bindPort()}, for the TLS port; it accepts with the first snapshot, holding a
     * certificate or not (a handshake for a name without one fails, as with {@code alwaysOpen}).
     *
     * @throws IllegalStateException without a TLS port, or as {@link #bindPort()}
     */
    public synchronized void bindTlsPort() {
        if (tls == null) {
            throw new IllegalStateException("the proxy has no TLS port (expected: a ProxyConfig with TlsConfig.on(port))");
        }
        bindAhead(tls.port(), () -> tls.bindAhead(current().version()));
    }

    private void bindAhead(DataPort port, Runnable bind) {
        port.throwIfFailed();
        if (closing.get() || closed || plane.draining() || port.closed()) {
            throw new IllegalStateException("the proxy is closing: its " + port.name() + " port stays closed");
        }
        if (port.bound()) {
            throw new IllegalStateException("the " + port.name() + " port is bound already (expected: bound ahead once, "
                    + "before the first snapshot)");
        }
        bind.run();
        LOG.info("event=proxy.bound listener={} address={} port={} until=\"the first snapshot is applied\"", port.name(),
                config.address(), port.port());
    }

    /**
     * The bound port (the ephemeral one when configured with port 0).
     *
     * @throws IllegalStateException before the port is bound: by {@link #bindPort()}, or by the
     *         first snapshot applied
     */
    public int port() {
        return dataPort.port();
    }

    /**
     * The bound TLS port (the ephemeral one when configured with port 0).
     *
     * @throws IllegalStateException without a TLS port, or before it opened
     */
    public int tlsPort() {
        if (tls == null) {
            throw new IllegalStateException("the proxy has no TLS port (expected: a ProxyConfig with TlsConfig.on(port))");
        }
        return tls.port().port();
    }

    /** True once the TLS port accepts connections. */
    public boolean tlsListening() {
        return tls != null && tls.port().accepting();
    }

    /** For {@code /status}: the TLS port and the applied certificates (never a key); null without a TLS port. */
    public Map<String, Object> describeTls() {
        return tls == null ? null : tls.describe();
    }

    /** True once the data port accepts connections: the first snapshot is applied. */
    public boolean listening() {
        return dataPort.accepting();
    }

    /** Why the data port could not be opened (see {@link #apply}); null when no bind failed. */
    public String listenFailure() {
        return dataPort.failure();
    }

    /**
     * The data port opening: completes with the bound address once the first snapshot is applied,
     * exceptionally with the {@link IllegalStateException} of a failed bind, and is cancelled by a
     * {@link #close()} before either. Each call returns a new future; completing it changes nothing here.
     * When the same snapshot opens the TLS port, that port accepts before this completes.
     */
    public CompletableFuture<InetSocketAddress> whenListening() {
        return dataPort.whenListening();
    }

    /**
     * Validates, compiles and swaps in {@code snapshot}; the first one applied also opens the data
     * port (bound before this returns, accepting once the snapshot is in place). Everything new
     * (router, balancers, meters) is built aside and committed together with the swap, so a
     * refused snapshot leaves no trace in balancing, health, pools or metrics. Never waits on DNS:
     * names are looked up asynchronously once the snapshot is committed, and a first or changed
     * answer recompiles.
     *
     * <p>A wrong snapshot is answered with problems; a proxy that cannot serve at all throws. A
     * failed bind (port taken, address not of this host) is not the snapshot's fault, so it is no
     * problem of it: it throws an {@link IllegalStateException} naming the address, the port and
     * the cause, logs {@code event=proxy.listen-failed}, leaves the snapshot unapplied, completes
     * {@link #whenListening()} exceptionally and shows on {@code /readyz}. It is final: every later
     * call throws it again, and the proxy is to be closed (the {@code gatehouse} commands exit 1).
     *
     * @return the problems that made it refused (the previous snapshot keeps serving; a proxy
     *         that had none keeps its port closed); empty when it is applied. Calls are
     *         serialized; request handling never waits for one.
     * @throws IllegalStateException when the data port cannot be opened
     */
    public synchronized List<Problem> apply(Snapshot snapshot) {
        return apply(snapshot, null, null, null);
    }

    /** As {@link #apply(Snapshot)}, with the content hash the channel computed for it (not computed again). */
    @Override
    public synchronized List<Problem> apply(Snapshot snapshot, String contentHash) {
        return apply(snapshot, Objects.requireNonNull(contentHash, "contentHash"), null, null);
    }

    /**
     * Applies an object delta: {@code next} is the served snapshot with the delta's objects put and
     * removed, every other object the served one's instance. Applied as a whole snapshot (validated,
     * compiled, swapped), with two savings: the compile reuses every route whose route, service,
     * balancer and consumers are unchanged (see {@link CompiledSnapshot#compile}; at the delta's base,
     * only what the delta reaches is compiled), and the content
     * hash is the one the channel checked, not made again. Validation follows the change too
     * ({@link SnapshotIndex#validate}: the same problems as a whole validation) when the served
     * snapshot is the delta's base, as the channel makes sure; otherwise the whole snapshot is validated.
     */
    @Override
    public synchronized List<Problem> applyObjects(Snapshot next, String contentHash,
                                                  dev.gatehouse.config.channel.ObjectDelta delta) {
        boolean atBase = plane.compiled().snapshot().version() == delta.baseVersion();
        return apply(next, contentHash, atBase ? ObjectDeltaChanges.of(delta) : null, delta.changedKinds());
    }

    /**
     * @param contentHash null to compute it
     * @param changes     what an object delta changed of the served snapshot, or null to validate the whole snapshot
     * @param kinds       the kinds an object delta changed, null for a whole snapshot
     */
    private List<Problem> apply(Snapshot snapshot, String contentHash, SnapshotIndex.Changes changes, String kinds) {
        if (closed) {
            // the drain is over and the event loops are going: nothing left to serve it with
            LOG.debug("event=snapshot.ignored version={} reason=closed", snapshot.version());
            return List.of();
        }
        upstreamTls.startFor(snapshot.services()); // before the swap: made while it compiles
        return swap.apply(snapshot, contentHash, changes, kinds);
    }

    /**
     * Applies an endpoint delta in place: {@code next} differs from the served snapshot only in
     * the targets of {@code changedUpstreams}. Those upstreams are validated, their targets
     * replaced in the live balancers ({@link Balancers#replaceTargets}: targets that stay keep
     * balancing, health and in-flight state; new ones start fresh; removed ones drain), and the
     * compiled snapshot re-published with the same router, so nothing is recompiled. Before the
     * first snapshot, or when an upstream cannot be replaced in place, it is applied whole.
     */
    @Override
    public synchronized List<Problem> applyEndpoints(Snapshot next, String contentHash, List<String> changedUpstreams) {
        if (closed) {
            LOG.debug("event=snapshot.ignored version={} reason=closed", next.version());
            return List.of();
        }
        return swap.applyEndpoints(next, contentHash, changedUpstreams);
    }

    /** The applied snapshot; {@link Snapshot#EMPTY} before the first. */
    @Override
    public Snapshot current() {
        return plane.compiled().snapshot();
    }

    /** What the hot path reads now: the applied snapshot compiled (router, balancers, key maps). */
    public CompiledSnapshot compiled() {
        return plane.compiled();
    }

    /** The applied snapshot's content hash. */
    public String currentContentHash() {
        return plane.compiled().contentHash();
    }

    /** Recompiles the applied snapshot: a target name resolved for the first time or differently (DNS-based balancing). */
    private synchronized void reapply() {
        if (!closed && dataPort.accepting()) {
            apply(current());
        }
    }

    /** Balancing and health state per upstream and target, for {@code GET /upstreams}. */
    public Balancers balancers() {
        return balancers;
    }

    /** True once the drain started ({@link #startDraining()} or {@link #close()}): {@code /readyz} answers 503. */
    public boolean draining() {
        return plane.draining();
    }

    /** Where the drain is: {@code serving}, {@code accepting}, {@code finishing} or {@code done} (see {@link Drain}). */
    public String drainPhase() {
        return drain.phase().name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The proxy's meters; also where the channel and target health gauges are registered. */
    public ProxyMetrics metrics() {
        return metrics;
    }

    /** The open client connections; for tests that need one's event loop. */
    ChannelGroup clientChannels() {
        return clients;
    }

    /** Requests in flight, across all connections. */
    public int inFlight() {
        return plane.inFlight();
    }

    /**
     * Starts the drain without waiting for it: {@code /readyz} answers 503 and every response from
     * now on says {@code Connection: close}; the port keeps accepting. {@link #close()} runs the
     * rest. Idempotent; safe from any thread.
     */
    public void startDraining() {
        drain.start();
    }

    /**
     * Graceful, in the phases of {@link Drain}: readiness off at once, the port accepting for
     * {@code drainDelay}, then closed; in-flight requests finish (quiet connections closed) within
     * {@code drainTimeout}; then everything left is closed and the event loops stop. Blocks for up
     * to {@code drainDelay + drainTimeout} plus the teardown; snapshots keep being applied meanwhile
     * (the lock is not held while it waits). A second call returns at once.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) {
            return;
        }
        drain.run();
        String port;
        synchronized (this) {
            closed = true;
            port = dataPort.close();
            if (tls != null) {
                port += "," + tls.port().close();
            }
        }
        clients.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        health.close();
        balancers.close();
        pools.forEach((loop, pool) -> loop.execute(pool::close));
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        observer.close();
        if (tls != null) {
            synchronized (this) {
                tls.releaseCertificates();
            }
        }
        LOG.info("event=proxy.closed address={} port={}", config.address(), port);
    }
}
