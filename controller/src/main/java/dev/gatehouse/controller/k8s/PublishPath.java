package dev.gatehouse.controller.k8s;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.controller.publish.SnapshotPublisher;
import dev.gatehouse.controller.publish.SnapshotVersions;
import dev.gatehouse.controller.translate.CertificateCache;
import dev.gatehouse.controller.translate.ClusterState;
import dev.gatehouse.controller.translate.EndpointChange;
import dev.gatehouse.controller.translate.GatewaySelection;
import dev.gatehouse.controller.translate.IncrementalTranslator;
import dev.gatehouse.controller.translate.TlsSettings;
import dev.gatehouse.controller.translate.Translation;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The controller's publish path: the debounced rebuild (the kept state translated incrementally,
 * numbered, published when its content changed, keys generated on the leader, the outcome offered
 * to the status updater) and the endpoint step the {@link EndpointPath} runs (the Upstreams that
 * read the changed Services translated again alone and published as an endpoints delta). The two
 * take turns on the translator and the versions under one lock. {@link #quietIn} tells the status
 * writer when both have been idle for a while.
 */
final class PublishPath implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PublishPath.class);

    /** The informers whose state is translated; set once they are started. */
    record Watches(ClusterWatch cluster, IngressWatch ingress, GatewayWatch gateway) {
        ClusterState current() {
            ClusterState state = ingress == null ? cluster.state() : cluster.state().withIngress(ingress.ingresses(),
                    ingress.classes());
            return gateway == null ? state : state.withGatewayApi(gateway.state());
        }

        boolean synced(ControllerConfig config) {
            return cluster.synced() && (!config.ingress().enabled() || (ingress != null && ingress.synced()))
                    && (gateway == null || gateway.synced());
        }
    }

    private final ControllerConfig config;
    private final SnapshotPublisher publisher;
    private final SnapshotVersions versions = new SnapshotVersions(System::currentTimeMillis);
    private final Convergence convergence;
    private final KeyGenerator keyGenerator;
    private final OtherStatus otherStatus;
    private final ConfigNotes notes;
    private final BooleanSupplier leader;
    private final Supplier<ProxyFleet> fleet;
    private final Consumer<StatusUpdater.Desired> status;
    private final Debouncer debouncer;
    /** Changes of Services and EndpointSlices, served without a whole rebuild when only Upstreams' targets read them. */
    private final EndpointPath endpointPath;
    private final Counter rebuilds;
    private final Counter pushes;
    /** Publishes by path: a whole (incremental) translation, or the endpoint step alone. */
    private final Counter fullPublishes;
    private final Counter endpointPublishes;
    /** Held while translating and publishing: the rebuild and the endpoint step take turns on the translator and versions. */
    private final Object translating = new Object();
    private final Clock clock = Clock.systemUTC();
    /** Parsed TLS Secrets across rebuilds, used by the rebuild thread only. */
    private final CertificateCache certificateCache = new CertificateCache();
    /**
     * Translates what changed since the last rebuild only; used under {@link #translating}. Every
     * {@link IncrementalTranslator#DEFAULT_VERIFY_EVERY}-th rebuild, and the first after
     * {@link Controller#VERIFY_INTERVAL}, is compared with a full translation (docs/translation.md).
     */
    private final IncrementalTranslator translator = new IncrementalTranslator();
    /**
     * The start counts as a check: the first translation keeps nothing yet (every object is built,
     * as a full translation builds it), so comparing it with a full one doubled the start's
     * translation for nothing; the first comparison comes {@link Controller#VERIFY_INTERVAL} later.
     */
    private Instant lastVerified = clock.instant();
    /** The kept state was set from the caches once the informers synced; read and written under {@link #translating}. */
    private boolean reconciled;
    private volatile long corrections;
    private volatile Instant lastTranslation = Instant.EPOCH;
    /** The last translation refused a TLS Secret (one not valid yet is rechecked like one in play). */
    private volatile boolean certificateRefused;
    private volatile Snapshot published;
    private volatile Watches watches;

    PublishPath(ControllerConfig config, SnapshotPublisher publisher, Convergence convergence, KeyGenerator keyGenerator,
                OtherStatus otherStatus, BooleanSupplier leader, Supplier<ProxyFleet> fleet,
                Consumer<StatusUpdater.Desired> status, MeterRegistry registry) {
        this.config = config;
        this.publisher = publisher;
        this.convergence = convergence;
        this.keyGenerator = keyGenerator;
        this.otherStatus = otherStatus;
        this.notes = new ConfigNotes(config.ingress());
        this.leader = leader;
        this.fleet = fleet;
        this.status = status;
        this.rebuilds = Counter.builder("gatehouse.controller.reconciles")
                .description("Rebuilds of the snapshot from the informer caches").register(registry);
        this.pushes = Counter.builder("gatehouse.controller.pushes")
                .description("Snapshots published because their content changed").register(registry);
        FunctionCounter.builder("gatehouse.controller.translate.mismatches", translator, IncrementalTranslator::mismatches)
                .description("Incremental translations that differed from the full one (each logged as "
                        + "event=translate.mismatch; the full one was published)").register(registry);
        FunctionCounter.builder("gatehouse.controller.translate.verified", translator, IncrementalTranslator::verified)
                .description("Incremental translations compared with a full one").register(registry);
        this.fullPublishes = publishes(registry, "full");
        this.endpointPublishes = publishes(registry, "endpoints");
        this.debouncer = new Debouncer("gatehouse-rebuild", Controller.HOLD_OFF, Controller.MAX_DELAY, this::rebuild);
        this.endpointPath = new EndpointPath(this::endpoints, debouncer, registry);
    }

    private static Counter publishes(MeterRegistry registry, String path) {
        return Counter.builder("gatehouse.controller.publishes").tag("path", path)
                .description("Snapshots published, by path: full (a rebuild: every object looked at, the changed ones "
                        + "translated again) or endpoints (only the Upstreams reading a changed Service or EndpointSlice)")
                .register(registry);
    }

    Debouncer debouncer() {
        return debouncer;
    }

    EndpointPath endpointPath() {
        return endpointPath;
    }

    /** The informers to translate from, once started; a rebuild before them (or before they sync) waits. */
    void watches(Watches w) {
        this.watches = w;
    }

    Snapshot published() {
        return published;
    }

    long corrections() {
        return corrections;
    }

    boolean certificateRefused() {
        return certificateRefused;
    }

    Instant lastTranslation() {
        return lastTranslation;
    }

    /**
     * When the publish path (the rebuild's debouncer and the endpoint path) has been quiet for
     * {@code quietNanos}: -1 while either is busy, else the nanoseconds left (0: quiet now).
     */
    long quietIn(long quietNanos) {
        long rebuild = debouncer.quietIn(quietNanos);
        EndpointPath endpoints = endpointPath; // null only while the constructor runs
        long path = endpoints == null ? 0 : endpoints.quietIn(quietNanos);
        return rebuild < 0 || path < 0 ? -1 : Math.max(rebuild, path);
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
    private String endpoints(Set<String> services, long changeNanos) {
        long run = System.nanoTime();
        synchronized (translating) {
            long locked = System.nanoTime();
            Watches w = watches;
            if (w == null || !reconciled || published == null) {
                return "no-translation-yet";
            }
            ClusterState state = w.current();
            long start = System.nanoTime();
            EndpointChange change = translator.endpoints(state, services);
            if (change.needsFullTranslation()) {
                return change.fallback();
            }
            Translation t = change.translation();
            if (t == null) {
                return null; // no Upstream reads them (any more): the snapshot does not change
            }
            long micros = (System.nanoTime() - start) / 1_000;
            String stages = "queued_micros=" + (run - changeNanos) / 1_000 + " lock_micros=" + (locked - run) / 1_000
                    + " state_micros=" + (start - locked) / 1_000;
            if (publish(t, changeNanos, micros, "endpoints", Integer.toString(change.upstreams()), stages)) {
                endpointPublishes.increment();
            }
            offerStatus(state, t, w, new StatusUpdater.Touched(change.base(), change.touched()));
            return null;
        }
    }

    /** The newest recent version of this replica whose content hash is {@code hash}; 0 when none ({@link SnapshotVersions#versionOf}). */
    long versionOf(String hash) {
        return versions.versionOf(hash);
    }

    /**
     * Numbers {@code t}'s snapshot and publishes it when its content changed; true when published.
     * {@code translated}: the Upstreams the endpoint path translated again, "-" for a rebuild.
     *
     * @param stages the endpoint path's stages before the translation, logged as they are: the
     *               first change → the step's run ({@code queued_micros}: the hand-off, and a run
     *               under way the change waited for), the translator's lock, the kept state taken
     */
    private boolean publish(Translation t, long changeNanos, long translateMicros, String path, String translated, String stages) {
        long hashStart = System.nanoTime();
        Snapshot next = versions.next(t.snapshot());
        if (next == null) {
            return false;
        }
        published = next;
        log.info("event=snapshot.published path={} version={} routes={} services={} upstreams={} consumers={} certificates={} "
                        + "refused={} translated={} translate_micros={} hash_micros={} since_change_micros={}{}",
                path, next.version(), next.routes().size(), next.services().size(), next.upstreams().size(),
                next.consumers().size(), next.certificates().size(), t.rejected().size(), translated, translateMicros,
                (System.nanoTime() - hashStart) / 1_000, (System.nanoTime() - changeNanos) / 1_000,
                stages.isEmpty() ? "" : " " + stages);
        pushes.increment();
        convergence.published(next.version(), changeNanos);
        publisher.publish(next, versions.lastHash());
        return true;
    }

    /** @param touched what the endpoint step changed in the last translation; null after a rebuild */
    private void offerStatus(ClusterState state, Translation t, Watches w, StatusUpdater.Touched touched) {
        long version = versions.version();
        status.accept(new StatusUpdater.Desired(state, t, version,
                pace -> otherStatus.pass(state, t, version, w.ingress(), w.gateway(), fleet.get(), pace), touched));
    }

    private void rebuildLocked(long changeNanos) {
        Watches w = watches;
        if (w == null || !w.synced(config)) {
            debouncer.mark(); // informers still listing: try again shortly
            return;
        }
        rebuilds.increment();
        Instant now = clock.instant();
        boolean check = Duration.between(lastVerified, now).compareTo(Controller.VERIFY_INTERVAL) >= 0;
        if (!reconciled || check) {
            reconcile(w.cluster(), reconciled);
        }
        ClusterState state = w.current();
        if (check) {
            lastVerified = now;
            translator.verifyNext();
        }
        long translateStart = System.nanoTime();
        Translation t = translator.translate(state, config.ingress().selection(),
                w.gateway() == null ? GatewaySelection.OFF : config.gateway(),
                new TlsSettings(config.defaultCertificate(), now, certificateCache));
        long translateMicros = (System.nanoTime() - translateStart) / 1_000;
        lastTranslation = clock.instant();
        if (w.cluster().servicesReferenced(state.servicesReferenced())) {
            debouncer.mark(); // a Service referenced anew: its events so far were passed over
        }
        certificateRefused = t.certificateRefused();
        notes.classConflict(state);
        notes.defaultCertificate(t.defaultCertificate());
        if (publish(t, changeNanos, translateMicros, "full", "-", "")) {
            fullPublishes.increment();
        }
        if (leader.getAsBoolean() && keyGenerator.run(state) > 0) {
            return; // the new Secrets come back through the informer and trigger the next rebuild
        }
        offerStatus(state, t, w, null);
    }

    /**
     * Sets the kept state to the informer caches: at the first rebuild (the informers' initial
     * adds reach the kept state on their own threads, and may lag their caches' sync), then every
     * {@link Controller#VERIFY_INTERVAL} as a check, logged; a difference found by a later check (an event
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

    /** Stops the endpoint path, then the rebuild's debouncer (a run in progress finishes). */
    @Override
    public void close() {
        endpointPath.close();
        debouncer.close();
    }
}
