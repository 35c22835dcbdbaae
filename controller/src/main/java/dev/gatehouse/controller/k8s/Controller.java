package dev.gatehouse.controller.k8s;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.controller.publish.SnapshotPublisher;
import dev.gatehouse.controller.publish.SnapshotVersions;
import dev.gatehouse.controller.translate.ClusterState;
import dev.gatehouse.controller.translate.TlsSettings;
import dev.gatehouse.controller.translate.GatewaySelection;
import dev.gatehouse.controller.translate.Translation;
import dev.gatehouse.controller.translate.IncrementalTranslator;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
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
 * the rebuild only when more could change (docs/translation.md). Proxies connecting,
 * acknowledging or refusing cause no rebuild: they update the convergence measure and let the
 * status updater decide Programmed again. Every replica serves the channel from its own cache.
 */
public final class Controller implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Controller.class);
    private final KubernetesClient client;
    private final ControllerConfig config;
    private final SnapshotPublisher publisher;
    private final SnapshotVersions versions = new SnapshotVersions(System::currentTimeMillis);
    private final StatusUpdater statusUpdater;
    private final KeyGenerator keyGenerator;
    private final Debouncer debouncer;
    private final Convergence convergence;
    private final io.micrometer.core.instrument.Counter rebuilds;
    private final io.micrometer.core.instrument.Counter pushes;
    /** Publishes by path: a whole (incremental) translation, or the endpoint step alone. */
    private final io.micrometer.core.instrument.Counter fullPublishes;
    private final io.micrometer.core.instrument.Counter endpointPublishes;
    /** Changes of Services and EndpointSlices, served without a whole rebuild when only Upstreams' targets read them. */
    private final EndpointPath endpointPath;
    /** Held while translating and publishing: the rebuild and the endpoint step take turns on the translator and versions. */
    private final Object translating = new Object();
    private final io.micrometer.core.instrument.MeterRegistry registry;
    /** The kept state was set from the caches once the informers synced; read and written under {@link #translating}. */
    private boolean reconciled;
    private volatile long corrections;
    private volatile ProxyFleet fleet = ProxyFleet.NONE;
    private volatile ClusterWatch watch;
    private volatile IngressWatch ingressWatch;
    private final OtherStatus otherStatus;
    private volatile GatewayWatch gatewayWatch;
    private final ConfigNotes notes;
    /** How often the state is translated again, unchanged, while certificates are in play (they expire). */
    static final Duration CERTIFICATE_RECHECK = Duration.ofMinutes(1);
    /**
     * A rebuild starts this long after the last informer event of a burst (an EndpointSlice event
     * while nothing is pending starts one at once: {@link Debouncer#markSoon()}),
     */
    static final Duration HOLD_OFF = Duration.ofMillis(50);
    /** and no later than this after its first: a steady stream of events still publishes 4 times a second. */
    static final Duration MAX_DELAY = Duration.ofMillis(250);
    private final Clock clock = Clock.systemUTC();
    /** Parsed TLS Secrets across rebuilds, used by the rebuild thread only. */
    private final dev.gatehouse.controller.translate.CertificateCache certificateCache =
            new dev.gatehouse.controller.translate.CertificateCache();
    private volatile java.time.Instant lastTranslation = java.time.Instant.EPOCH;
    /**
     * Translates what changed since the last rebuild only; used by the rebuild thread only. Every
     * {@link IncrementalTranslator#DEFAULT_VERIFY_EVERY}-th rebuild, and the first after
     * {@link #VERIFY_INTERVAL}, is compared with a full translation (docs/translation.md).
     */
    private final IncrementalTranslator translator = new IncrementalTranslator();
    /** A rebuild at least this long after the last compared one is compared with a full translation. */
    static final Duration VERIFY_INTERVAL = Duration.ofMinutes(10);
    /**
     * The start counts as a check: the first translation keeps nothing yet (every object is built,
     * as a full translation builds it), so comparing it with a full one doubled the start's
     * translation for nothing; the first comparison comes {@link #VERIFY_INTERVAL} later.
     */
    private java.time.Instant lastVerified = clock.instant();
    /** The last translation refused a TLS Secret (one not valid yet is rechecked like one in play). */
    private volatile boolean certificateRefused;
    private final java.util.concurrent.ScheduledExecutorService recheck = java.util.concurrent.Executors
            .newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "gatehouse-certificate-recheck");
                t.setDaemon(true);
                return t;
            });
    private volatile boolean leader;
    private volatile Snapshot published;
    private CompletableFuture<?> election;

    public Controller(KubernetesClient client, ControllerConfig config, SnapshotPublisher publisher,
                      io.micrometer.core.instrument.MeterRegistry registry) {
        this.client = client;
        this.registry = registry;
        this.convergence = new Convergence(registry);
        this.rebuilds = io.micrometer.core.instrument.Counter.builder("gatehouse.controller.reconciles")
                .description("Rebuilds of the snapshot from the informer caches").register(registry);
        this.pushes = io.micrometer.core.instrument.Counter.builder("gatehouse.controller.pushes")
                .description("Snapshots published because their content changed").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("gatehouse.controller.translate.mismatches", translator,
                        IncrementalTranslator::mismatches)
                .description("Incremental translations that differed from the full one (each logged as "
                        + "event=translate.mismatch; the full one was published)").register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("gatehouse.controller.translate.verified", translator,
                        IncrementalTranslator::verified)
                .description("Incremental translations compared with a full one").register(registry);
        io.micrometer.core.instrument.Gauge.builder("gatehouse.controller.leader", this, c -> c.leader ? 1 : 0)
                .description("1 while this replica holds the leader Lease").register(registry);
        io.micrometer.core.instrument.Gauge.builder("gatehouse.controller.snapshot.version", this,
                        c -> c.published == null ? 0 : c.published.version())
                .description("Version of the last published snapshot").register(registry);
        this.config = config;
        this.notes = new ConfigNotes(config.ingress());
        this.publisher = publisher;
        this.debouncer = new Debouncer("gatehouse-rebuild", HOLD_OFF, MAX_DELAY, this::rebuild);
        // status writes keep off the rebuild and publish, and off the proxies' apply right after it
        this.statusUpdater = new StatusUpdater(new StatusWriter(client, Clock.systemUTC())::write, config.statusWrites(),
                this::publishQuietIn, registry, StatusUpdater.Time.SYSTEM);
        this.keyGenerator = new KeyGenerator(client);
        this.otherStatus = new OtherStatus(config, new IngressStatusWriter(client, Clock.systemUTC(), registry),
                config.gateway().enabled() ? new GatewayStatusWriter(client, Clock.systemUTC(), config.gateway().controllerName(),
                        registry) : null);
        this.fullPublishes = publishes(registry, "full");
        this.endpointPublishes = publishes(registry, "endpoints");
        this.endpointPath = new EndpointPath(this::endpoints, debouncer, registry);
    }

    private static io.micrometer.core.instrument.Counter publishes(io.micrometer.core.instrument.MeterRegistry registry, String path) {
        return io.micrometer.core.instrument.Counter.builder("gatehouse.controller.publishes").tag("path", path)
                .description("Snapshots published, by path: full (a rebuild: every object looked at, the changed ones "
                        + "translated again) or endpoints (only the Upstreams reading a changed Service or EndpointSlice)")
                .register(registry);
    }

    /**
     * When the publish path (the rebuild's debouncer and the endpoint path) has been quiet for
     * {@code quietNanos}: -1 while either is busy, else the nanoseconds left (0: quiet now).
     */
    private long publishQuietIn(long quietNanos) {
        long rebuild = debouncer.quietIn(quietNanos);
        EndpointPath endpoints = endpointPath; // null only while the constructor runs
        long path = endpoints == null ? 0 : endpoints.quietIn(quietNanos);
        return rebuild < 0 || path < 0 ? -1 : Math.max(rebuild, path);
    }

    /** The proxies, for Programmed; a change in it (connect, ack, nack, disconnect) should call {@link #changed()}. */
    public void fleet(ProxyFleet fleet) {
        this.fleet = fleet;
        statusUpdater.fleet(fleet);
    }

    public Controller start() {
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
        io.micrometer.core.instrument.FunctionCounter.builder("gatehouse.controller.state.corrections", this,
                        c -> c.corrections)
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
        election = client.leaderElector().withConfig(new LeaderElectionConfigBuilder()
                .withName(config.leaseName())
                .withLock(new LeaseLock(config.leaseNamespace(), config.leaseName(), config.identity()))
                .withLeaseDuration(config.leaseDuration()).withRenewDeadline(config.renewDeadline())
                .withRetryPeriod(config.retryPeriod()).withReleaseOnCancel()
                .withLeaderCallbacks(new LeaderCallbacks(this::startLeading, this::stopLeading,
                        id -> log.info("event=leader.observed leader={}", id)))
                .build()).build().start();
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
        convergence.check(fleet);
        statusUpdater.proxiesChanged();
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
                && (gatewayWatch == null || gatewayWatch.synced()) && published != null;
    }

    public Snapshot published() {
        return published;
    }

    private void startLeading() {
        leader = true;
        log.info("event=leader.acquired identity={}", config.identity());
        statusUpdater.leading(true);
        debouncer.mark(); // generate keys as leader
    }

    private void stopLeading() {
        leader = false;
        statusUpdater.leading(false);
        log.info("event=leader.lost identity={}", config.identity());
    }

    private void rebuild(long changeNanos) {
        synchronized (translating) {
            rebuildLocked(changeNanos);
        }
    }

    /**
     * The endpoint step ({@link EndpointPath}): the last translation with the targets and statuses of
     * the Upstreams that read {@code services} re-derived ({@link IncrementalTranslator#endpoints}),
     * published (an {@code endpoints} delta: only targets changed) and offered to the status
     * updater like a rebuild's; the translator's kept outcomes and the versions move with it, so the
     * next rebuild's delta is computed against a snapshot holding these targets.
     *
     * @return null when served; else why a whole rebuild is needed
     */
    private String endpoints(java.util.Set<String> services, long changeNanos) {
        synchronized (translating) {
            ClusterWatch w = watch;
            IngressWatch iw = ingressWatch;
            GatewayWatch gw = gatewayWatch;
            if (w == null || !reconciled || published == null) {
                return "no-translation-yet";
            }
            ClusterState state = current(w, iw, gw);
            long start = System.nanoTime();
            dev.gatehouse.controller.translate.EndpointChange change = translator.endpoints(state, services);
            if (change.needsFullTranslation()) {
                return change.fallback();
            }
            Translation t = change.translation();
            if (t == null) {
                return null; // no Upstream reads them (any more): the snapshot does not change
            }
            long micros = (System.nanoTime() - start) / 1_000;
            if (publish(t, changeNanos, micros, "endpoints", Integer.toString(change.upstreams()))) {
                endpointPublishes.increment();
            }
            offerStatus(state, t, iw, gw);
            return null;
        }
    }

    private ClusterState current(ClusterWatch w, IngressWatch iw, GatewayWatch gw) {
        ClusterState state = iw == null ? w.state() : w.state().withIngress(iw.ingresses(), iw.classes());
        return gw == null ? state : state.withGatewayApi(gw.state());
    }

    /**
     * Numbers {@code t}'s snapshot and publishes it when its content changed; true when published.
     * {@code translated}: the Upstreams the endpoint path translated again, "-" for a rebuild.
     */
    private boolean publish(Translation t, long changeNanos, long translateMicros, String path, String translated) {
        Snapshot next = versions.next(t.snapshot());
        if (next == null) {
            return false;
        }
        published = next;
        log.info("event=snapshot.published path={} version={} routes={} services={} upstreams={} consumers={} certificates={} "
                        + "refused={} translated={} translate_micros={} since_change_micros={}",
                path, next.version(), next.routes().size(), next.services().size(), next.upstreams().size(),
                next.consumers().size(), next.certificates().size(), t.rejected().size(), translated, translateMicros,
                (System.nanoTime() - changeNanos) / 1_000);
        pushes.increment();
        convergence.published(next.version(), changeNanos);
        publisher.publish(next, versions.lastHash());
        return true;
    }

    private void offerStatus(ClusterState state, Translation t, IngressWatch iw, GatewayWatch gw) {
        long version = versions.version();
        statusUpdater.offer(new StatusUpdater.Desired(state, t, version, pace -> otherStatus.pass(state, t, version, iw, gw, fleet, pace)));
    }

    private void rebuildLocked(long changeNanos) {
        ClusterWatch w = watch;
        IngressWatch iw = ingressWatch;
        GatewayWatch gw = gatewayWatch;
        if (w == null || !w.synced() || (config.ingress().enabled() && (iw == null || !iw.synced()))
                || (gw != null && !gw.synced())) {
            debouncer.mark(); // informers still listing: try again shortly
            return;
        }
        rebuilds.increment();
        java.time.Instant now = clock.instant();
        boolean check = Duration.between(lastVerified, now).compareTo(VERIFY_INTERVAL) >= 0;
        if (!reconciled || check) {
            reconcile(w, reconciled);
        }
        ClusterState state = current(w, iw, gw);
        if (check) {
            lastVerified = now;
            translator.verifyNext();
        }
        long translateStart = System.nanoTime();
        Translation t = translator.translate(state, config.ingress().selection(),
                gw == null ? GatewaySelection.OFF : config.gateway(),
                new TlsSettings(config.defaultCertificate(), now, certificateCache));
        long translateMicros = (System.nanoTime() - translateStart) / 1_000;
        lastTranslation = clock.instant();
        if (w.servicesReferenced(state.servicesReferenced())) {
            debouncer.mark(); // a Service referenced anew: its events so far were passed over
        }
        certificateRefused = t.certificateRefused();
        notes.classConflict(state);
        notes.defaultCertificate(t.defaultCertificate());
        if (publish(t, changeNanos, translateMicros, "full", "-")) {
            fullPublishes.increment();
        }
        if (leader && keyGenerator.run(state) > 0) {
            return; // the new Secrets come back through the informer and trigger the next rebuild
        }
        offerStatus(state, t, iw, gw);
    }

    /**
     * Sets the kept state to the informer caches: at the first rebuild (the informers' initial
     * adds reach the kept state on their own threads, and may lag their caches' sync), then every
     * {@link #VERIFY_INTERVAL} as a check, logged; a difference found by a later check (an event
     * still on its way from a cache to the kept state, or a missed one) is counted and logged as
     * a warning, and the caches win.
     */
    private void reconcile(ClusterWatch w, boolean check) {
        long start = System.nanoTime();
        int differences = w.reconcile();
        long micros = (System.nanoTime() - start) / 1_000;
        reconciled = true;
        if (check && differences > 0) {
            corrections += differences;
            log.warn("event=state.reconciled differences={} micros={} store=\"{}\" action=caches_used", differences, micros,
                    w.store());
        } else {
            log.info("event=state.reconciled differences={} micros={} store=\"{}\" first={}", differences, micros, w.store(),
                    !check);
        }
    }

    /**
     * Certificates expire, and become valid (notBefore), while nothing in the cluster changes: with any
     * in play or refused, the state is translated again every {@link #CERTIFICATE_RECHECK}, so an
     * expired one leaves the snapshot, one valid from now on joins it, and a near expiry is told.
     */
    private void recheckCertificates() {
        Snapshot p = published;
        if ((p != null && !p.certificates().isEmpty()) || certificateRefused || config.defaultCertificate() != null) {
            if (Duration.between(lastTranslation, clock.instant()).compareTo(CERTIFICATE_RECHECK) >= 0) {
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
        endpointPath.close();
        debouncer.close();
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
