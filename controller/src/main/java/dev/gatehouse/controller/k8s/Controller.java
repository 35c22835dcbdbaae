package dev.gatehouse.controller.k8s;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.controller.publish.SnapshotPublisher;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The controller loop: informers mark dirty → a debounced rebuild translates the cached state,
 * publishes the snapshot when its content changed, generates keys (leader only) and hands the
 * outcome to the {@link StatusUpdater}, which writes status on its own thread, paced, on the
 * leader only. Service and EndpointSlice events take the {@link EndpointPath} instead: the
 * Upstreams that read the Service translated again alone and published as an endpoints delta,
 * the rebuild only when more could change (docs/translation.md). Both are the {@link PublishPath};
 * this class wires the informers, the leader election and the status writers to it. Proxies
 * connecting, acknowledging or refusing cause no rebuild: they update the convergence measure and
 * let the status updater decide Programmed again. Every replica serves the channel from its own cache
 * and reports what its proxies acknowledged in a Lease of its own ({@link ReplicaLease}); the leader
 * reads those reports ({@link ReplicaReports}) and decides Programmed from every replica's proxies
 * ({@link ClusterFleet}).
 */
public final class Controller implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Controller.class);
    private final KubernetesClient client;
    private final ControllerConfig config;
    private final StatusUpdater statusUpdater;
    private final Convergence convergence;
    /** The rebuild, the endpoint step and their publishes. */
    private final PublishPath path;
    private final Debouncer debouncer;
    private final io.micrometer.core.instrument.MeterRegistry registry;
    private volatile ProxyFleet fleet = ProxyFleet.NONE;
    /** This replica's own proxies (the channel's), for its report and the convergence measure. */
    private volatile ProxyFleet local = ProxyFleet.NONE;
    private final ReplicaLease replicaLease;
    private final ReplicaReports replicaReports;
    /** Other replicas' content hashes the leader could not map to a recent version of its own. */
    private final UnmappedHashes unmappedHashes;
    private volatile ClusterWatch watch;
    private volatile IngressWatch ingressWatch;
    private volatile GatewayWatch gatewayWatch;
    /** How often the state is translated again, unchanged, while certificates are in play (they expire). */
    static final Duration CERTIFICATE_RECHECK = Duration.ofMinutes(1);
    /**
     * A rebuild starts this long after the last informer event of a burst (an EndpointSlice event
     * while nothing is pending starts one at once: {@link Debouncer#markSoon()}),
     */
    static final Duration HOLD_OFF = Duration.ofMillis(50);
    /** and no later than this after its first: a steady stream of events still publishes 4 times a second. */
    static final Duration MAX_DELAY = Duration.ofMillis(250);
    /** A rebuild at least this long after the last compared one is compared with a full translation. */
    static final Duration VERIFY_INTERVAL = Duration.ofMinutes(10);
    private final Clock clock = Clock.systemUTC();
    private final java.util.concurrent.ScheduledExecutorService recheck = java.util.concurrent.Executors
            .newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "gatehouse-certificate-recheck");
                t.setDaemon(true);
                return t;
            });
    private volatile boolean leader;
    private CompletableFuture<?> election;

    public Controller(KubernetesClient client, ControllerConfig config, SnapshotPublisher publisher,
                      io.micrometer.core.instrument.MeterRegistry registry) {
        this.client = client;
        this.config = config;
        this.registry = registry;
        this.convergence = new Convergence(registry);
        OtherStatus otherStatus = new OtherStatus(config, new IngressStatusWriter(client, Clock.systemUTC(), registry),
                config.gateway().enabled() ? new GatewayStatusWriter(client, Clock.systemUTC(), config.gateway().controllerName(),
                        registry) : null);
        this.unmappedHashes = new UnmappedHashes(registry, System::nanoTime);
        this.path = new PublishPath(config, publisher, convergence, new KeyGenerator(client), otherStatus, () -> leader,
                () -> fleet, this::offerStatus, registry);
        this.debouncer = path.debouncer();
        io.micrometer.core.instrument.Gauge.builder("gatehouse.controller.leader", this, c -> c.leader ? 1 : 0)
                .description("1 while this replica holds the leader Lease").register(registry);
        io.micrometer.core.instrument.Gauge.builder("gatehouse.controller.snapshot.version", path,
                        p -> p.published() == null ? 0 : p.published().version())
                .description("Version of the last published snapshot").register(registry);
        // status writes keep off the rebuild and publish, and off the proxies' apply right after it
        this.statusUpdater = new StatusUpdater(new StatusWriter(client, Clock.systemUTC())::write, config.statusWrites(),
                path::quietIn, registry, StatusUpdater.Time.SYSTEM);
        this.replicaLease = new ReplicaLease(client, config, () -> local.report(), registry);
        this.replicaReports = new ReplicaReports(client, config, replicaLease.name(), statusUpdater::proxiesChanged, registry);
        fleet(ProxyFleet.NONE);
    }

    /** The rebuild's and the endpoint step's outcome, for the status writer (its field is set after the path's). */
    private void offerStatus(StatusUpdater.Desired desired) {
        statusUpdater.offer(desired);
    }

    /**
     * This replica's proxies; a change in them (connect, ack, nack, disconnect) should call
     * {@link #changed()}. While leading, Programmed counts the other replicas' reported proxies too.
     */
    public void fleet(ProxyFleet fleet) {
        this.local = java.util.Objects.requireNonNull(fleet, "fleet");
        ProxyFleet all = new ClusterFleet(fleet, () -> leader ? replicaReports.live() : java.util.List.of(), path::versionOf,
                unmappedHashes);
        this.fleet = all;
        statusUpdater.fleet(all);
    }

    public Controller start() {
        EndpointPath endpointPath = path.endpointPath();
        // the election first: it takes a round trip or two, the informers' lists below take seconds at
        // scale, and a leader known before the first rebuild generates keys in it instead of marking a
        // second whole rebuild right after it (docs/decisions.md, "The initial sync")
        election = client.leaderElector().withConfig(new LeaderElectionConfigBuilder()
                .withName(config.leaseName())
                .withLock(new LeaseLock(config.leaseNamespace(), config.leaseName(), config.identity()))
                .withLeaseDuration(config.leaseDuration()).withRenewDeadline(config.renewDeadline())
                .withRetryPeriod(config.retryPeriod()).withReleaseOnCancel()
                .withLeaderCallbacks(new LeaderCallbacks(this::startLeading, this::stopLeading,
                        id -> log.info("event=leader.observed leader={}", id)))
                .build()).build().start();
        replicaLease.start();
        watch = new ClusterWatch(client, config.namespaces(), config.defaultCertificate(), debouncer::mark, endpointPath::changed);
        ClusterWatch w = watch;
        w.store().tombstoneLimit(config.deletedNamesRemembered());
        io.micrometer.core.instrument.FunctionCounter.builder("gatehouse.controller.state.deleted_names_forgotten", w,
                        x -> x.store().tombstonesForgotten())
                .description("Deleted names the kept state forgot, the oldest beyond --deleted-names-remembered per informer "
                        + "(logged as event=state.deleted_name_forgotten)").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("gatehouse.controller.state.events", w,
                        x -> x.store().events())
                .description("Informer events received by the kept cluster state (adds, updates, deletes)").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("gatehouse.controller.state.stale.events", w,
                        x -> x.store().staleEvents())
                .description("Informer events passed over as older than the object held (replays, events of deleted "
                        + "incarnations)").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("gatehouse.controller.state.corrections", path,
                        PublishPath::corrections)
                .description("Objects the periodic check against the informer caches found the kept state behind on "
                        + "(each check logged as event=state.reconciled)").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("gatehouse.controller.rebuilds.immediate", debouncer,
                        Debouncer::immediateRuns)
                .description("Rebuilds started without the hold-off (an EndpointSlice change while nothing was pending)")
                .register(registry);
        if (config.ingress().enabled()) {
            ingressWatch = new IngressWatch(client, config.namespaces(), config.ingress(), debouncer::mark);
            watch.alsoReferencedBy(ingressWatch::referencesSecret);
            log.info("event=ingress.watching class={} controller={} publish_service={} publish_addresses={}",
                    config.ingress().className(), dev.gatehouse.controller.translate.IngressSelection.CONTROLLER,
                    config.ingress().publishService(), String.join(",", config.ingress().publishAddresses()));
        } else {
            log.info("event=ingress.off");
        }
        gatewayWatch = GatewayApiHook.start(client, config, debouncer::mark);
        if (gatewayWatch != null) {
            watch.alsoReferencedBy(gatewayWatch::referencesSecret);
        }
        path.watches(new PublishPath.Watches(watch, ingressWatch, gatewayWatch));
        debouncer.mark();
        recheck.scheduleWithFixedDelay(this::recheckCertificates, 10, 10, java.util.concurrent.TimeUnit.SECONDS);
        return this;
    }

    /**
     * The proxies changed (one connected, acknowledged, refused or left): convergence is measured
     * and Programmed decided again by the status updater. No translation: nothing it reads changed.
     * Cheap; called on the channel's event loops.
     */
    public void changed() {
        convergence.check(local);
        statusUpdater.proxiesChanged();
        replicaLease.changed();
    }

    public Convergence convergence() {
        return convergence;
    }

    public boolean leader() {
        return leader;
    }

    /** True once the caches are synced and a snapshot was published. */
    public boolean ready() {
        return watch != null && watch.synced() && (ingressWatch == null || ingressWatch.synced())
                && (gatewayWatch == null || gatewayWatch.synced()) && path.published() != null;
    }

    public Snapshot published() {
        return path.published();
    }

    private void startLeading() {
        leader = true;
        log.info("event=leader.acquired identity={}", config.identity());
        replicaReports.start(); // returns once the report Leases are listed: the first pass as leader counts them
        statusUpdater.leading(true);
        if (watch != null) {
            debouncer.mark(); // generate keys as leader; before the informers are up, start()'s first rebuild does
        }
    }

    private void stopLeading() {
        leader = false;
        statusUpdater.leading(false);
        replicaReports.stop();
        log.info("event=leader.lost identity={}", config.identity());
    }

    /**
     * Certificates expire, and become valid (notBefore), while nothing in the cluster changes: with any
     * in play or refused, the state is translated again every {@link #CERTIFICATE_RECHECK}, so an
     * expired one leaves the snapshot, one valid from now on joins it, and a near expiry is told.
     */
    private void recheckCertificates() {
        Snapshot p = path.published();
        if ((p != null && !p.certificates().isEmpty()) || path.certificateRefused() || config.defaultCertificate() != null) {
            if (Duration.between(path.lastTranslation(), clock.instant()).compareTo(CERTIFICATE_RECHECK) >= 0) {
                debouncer.mark();
            }
        }
    }

    @Override
    public void close() {
        if (election != null) {
            election.cancel(true);
        }
        recheck.shutdownNow();
        replicaLease.close(true); // the leader stops counting this replica's proxies at once
        replicaReports.close();
        path.close();
        statusUpdater.close();
        if (watch != null) {
            watch.close();
        }
        if (ingressWatch != null) {
            ingressWatch.close();
        }
        if (gatewayWatch != null) {
            gatewayWatch.close();
        }
    }
}
