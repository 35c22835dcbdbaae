package dev.gatehouse.proxy.observe;

import dev.gatehouse.proxy.balance.TargetState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.ToDoubleFunction;

/**
 * The proxy's meters outside the per-route ones ({@link RouteMeters}). Prometheus names:
 *
 * <table>
 *   <caption>Proxy-wide series</caption>
 *   <tr><td>{@code gatehouse_connections_active}</td><td>open client connections</td></tr>
 *   <tr><td>{@code gatehouse_upstream_target_in_flight{upstream,target}}</td><td>requests on a target now</td></tr>
 *   <tr><td>{@code gatehouse_snapshot_version}</td><td>version of the applied snapshot</td></tr>
 *   <tr><td>{@code gatehouse_snapshot_apply_seconds}</td><td>validate + compile + swap time (summary)</td></tr>
 *   <tr><td>{@code gatehouse_snapshots_applied_total}, {@code gatehouse_snapshots_refused_total}</td>
 *       <td>ACKed / NACKed snapshots</td></tr>
 *   <tr><td>{@code gatehouse_channel_connected}</td><td>1 while connected to the controller (when a channel is bound)</td></tr>
 *   <tr><td>{@code gatehouse_access_log_dropped_total}</td><td>access-log lines dropped because the queue was full</td></tr>
 *   <tr><td>{@code gatehouse_metrics_drain_late_total}</td><td>event loops that had not recorded their request timers
 *       when a scrape's drain wait ran out ({@link #drainTimers()})</td></tr>
 *   <tr><td>{@code gatehouse_log_events_total{event}}</td><td>occurrences of a rate-limited log event ({@link RateLimitedLog}), written or not</td></tr>
 *   <tr><td>{@code gatehouse_log_suppressed_total{event}}</td><td>its lines not written because of the per-second limit</td></tr>
 * </table>
 *
 * <p>Registration point for target health ({@link #targetGauge}): the balancing work registers
 * e.g. {@code gatehouse_upstream_target_healthy{upstream,target}} there, and it is removed with
 * the target's other series when the target leaves.
 */
public final class ProxyMetrics {
    private final MeterRegistry registry;
    private final RouteMeters unmatched;
    private final Timer applyTime;
    private final Counter applied;
    private final Counter refused;
    private final Counter accessLogDropped;
    private final Counter drainLate;
    private final QueryRedaction redaction = new QueryRedaction();
    private volatile long version;
    /** in-flight adders by {@link #targetKey}; strongly held so a gauge never reads a collected one */
    private final Map<String, InFlightGauge> inFlight = new HashMap<>();
    /** target series by {@link #targetKey}: the in-flight gauge and whatever {@link #targetGauge} added */
    private final Map<String, Set<Meter.Id>> targetSeries = new HashMap<>();
    /** The per-service series of the applied snapshot (retries in flight), by service. */
    private final Map<String, RetryGauge> live = new HashMap<>();
    /**
     * The route meter holders of the applied snapshot, by {@link #holderKey}: a route that stays
     * keeps its holder. Replaced (copy on write) only when routes come or go.
     */
    private volatile Map<String, RouteMeters.Holder> holders = Map.of();
    /** Of each upstream of the applied snapshot: the target selector its in-flight gauges read, and their target keys. */
    private final Map<String, CommittedTargets> committedTargets = new HashMap<>();
    /** Factories made so far: each marks the holders its snapshot keeps with its own number. */
    private long generation;
    /** The request-timer buffers of the loops {@link #attach}ed, drained by {@link #drainTimers()}. */
    private final List<TimerSamples> samples = new CopyOnWriteArrayList<>();
    /** How long a scrape waits for the loops' drains by default ({@code --metrics-drain-wait}). */
    public static final Duration DEFAULT_DRAIN_WAIT = Duration.ofSeconds(2);
    /** How long a scrape waits for the loops' drains, in all. */
    private final Duration drainWait;
    private static final Logger LOG = LoggerFactory.getLogger(ProxyMetrics.class);

    /** The targets of one upstream as committed: the selector and its targets' keys ({@link #targetKey}). */
    record CommittedTargets(Object selector, List<String> keys) {
    }

    /** The retries-in-flight gauge of one service: the state it was registered reading, and its id. */
    record RetryGauge(Object state, Meter.Id id) {
    }

    /**
     * What a compiled snapshot keeps of the applied one and adds to it, as its
     * {@link RouteMetersFactory} gathered it.
     *
     * @param generation     the factory's mark on the committed holders it keeps
     * @param keptHolders    how many committed holders it marked
     * @param addedHolders   its holders not committed before, by {@link #holderKey}
     * @param keptServices   the services that keep their committed gauge
     * @param addedServices  gauges registered for services whose committed one it does not keep
     * @param upstreams      every upstream it serves, with its selector
     * @param changedTargets upstreams whose in-flight gauges it pointed at a new selector
     */
    record Kept(long generation, int keptHolders, Map<String, RouteMeters.Holder> addedHolders, Set<String> keptServices,
                Map<String, RetryGauge> addedServices, Map<String, Object> upstreams,
                Map<String, CommittedTargets> changedTargets, Dropped dropped) {
    }

    /**
     * What an object delta's compile may have left ({@link RouteMetersFactory#patching}): the
     * holder keys of the routes it recompiled or removed, the services and upstreams it put or
     * removed. Everything else committed stays without being looked at.
     */
    record Dropped(Set<String> holders, Set<String> services, Set<String> upstreams) {
    }

    /** With a scrape waiting at most {@link #DEFAULT_DRAIN_WAIT} for the loops' drains. */
    public ProxyMetrics(MeterRegistry registry) {
        this(registry, DEFAULT_DRAIN_WAIT);
    }

    /**
     * @param drainWait how long a scrape waits, in all, for the loops attached to record their
     *                  request timers ({@link #drainTimers()})
     */
    public ProxyMetrics(MeterRegistry registry, Duration drainWait) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.drainWait = Objects.requireNonNull(drainWait, "drainWait");
        if (drainWait.isNegative()) {
            throw new IllegalArgumentException("drainWait: " + drainWait + " (expected: >= 0)");
        }
        this.unmatched = new RouteMeters(new RouteMeters.Holder(registry, RouteMeters.NONE, RouteMeters.NONE), false);
        this.applyTime = Timer.builder("gatehouse.snapshot.apply").description("Validating, compiling and swapping in a snapshot")
                .register(registry);
        this.applied = Counter.builder("gatehouse.snapshots.applied").description("Snapshots applied (ACK)").register(registry);
        this.refused = Counter.builder("gatehouse.snapshots.refused").description("Snapshots refused (NACK)").register(registry);
        this.accessLogDropped = Counter.builder("gatehouse.access.log.dropped")
                .description("Access-log lines dropped because the writer fell behind").register(registry);
        this.drainLate = Counter.builder("gatehouse.metrics.drain.late")
                .description("Event loops whose request timers a scrape could not wait for (recorded on their next drain)")
                .register(registry);
        Gauge.builder("gatehouse.snapshot.version", this, m -> m.version).description("Version of the applied snapshot")
                .register(registry);
        RateLimitedLog.bindTo(registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    /** The meters of requests that matched no route (label values {@value RouteMeters#NONE}). */
    public RouteMeters unmatched() {
        return unmatched;
    }

    /** Starts resolving the meters of a snapshot about to be compiled. */
    public RouteMetersFactory factory() {
        return new RouteMetersFactory(this);
    }

    synchronized long nextGeneration() {
        return ++generation;
    }

    public void snapshotApplied(long snapshotVersion, long nanos) {
        version = snapshotVersion;
        applied.increment();
        applyTime.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void snapshotRefused(long nanos) {
        refused.increment();
        applyTime.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void connections(IntSupplier open) {
        Gauge.builder("gatehouse.connections.active", open, s -> s.getAsInt()).description("Open client connections")
                .strongReference(true).register(registry);
    }

    /** Binds {@code gatehouse_channel_connected} to the channel client's state. */
    public void channelConnected(BooleanSupplier connected) {
        Gauge.builder("gatehouse.channel.connected", connected, c -> c.getAsBoolean() ? 1 : 0)
                .description("1 while the snapshot channel to the controller is connected").strongReference(true).register(registry);
    }

    /** The key-auth parameter names the access log redacts; widened as snapshots compile. */
    QueryRedaction redaction() {
        return redaction;
    }

    Counter accessLogDropped() {
        return accessLogDropped;
    }

    /**
     * Registers a gauge of one target, tagged {@code upstream} and {@code target}, removed when
     * the target leaves the applied snapshot (or at once if it is not in it).
     */
    public synchronized <T> Gauge targetGauge(String name, String description, String upstream, String target, T state,
                                              ToDoubleFunction<T> value) {
        Gauge g = Gauge.builder(name, state, value).description(description).tags(Tags.of("upstream", upstream, "target", target))
                .strongReference(true).register(registry);
        targetSeries.computeIfAbsent(targetKey(upstream, target), k -> new HashSet<>()).add(g.getId());
        return g;
    }

    static String holderKey(String route, String service) {
        return route + " " + service;
    }

    /** The holder of the applied snapshot under {@code key} ({@link #holderKey}), or null. */
    RouteMeters.Holder committedHolder(String key) {
        return holders.get(key);
    }

    /** Whether the applied snapshot's gauge of {@code service} reads {@code state} itself. */
    synchronized boolean committedRetryGauge(String service, Object state) {
        RetryGauge g = live.get(service);
        return g != null && g.state() == state;
    }

    static String targetKey(String upstream, String target) {
        return upstream + " " + target;
    }

    /**
     * Points {@code gatehouse_upstream_target_in_flight{upstream,target}} at the balancer's count
     * of the target ({@link TargetState#inFlight()}, the one count of attempts in flight), and
     * registers the gauge the first time. The gauge reads through a holder, so a target whose
     * state was replaced (it left and came back) is read from its new state.
     */
    synchronized void targetInFlight(String upstream, String target, TargetState state) {
        String key = targetKey(upstream, target);
        InFlightGauge holder = inFlight.get(key);
        if (holder == null) {
            holder = new InFlightGauge();
            inFlight.put(key, holder);
            Gauge g = Gauge.builder("gatehouse.upstream.target.in.flight", holder, InFlightGauge::value)
                    .description("Requests in flight on a target").tags(Tags.of("upstream", upstream, "target", target))
                    .strongReference(true).register(registry);
            targetSeries.computeIfAbsent(key, k -> new HashSet<>()).add(g.getId());
        }
        holder.state = state;
    }

    /**
     * An endpoint delta replaced the targets of {@code upstream}: each of {@code targets} (by key)
     * gets its in-flight gauge, and the series of the targets of {@code before} not among them are
     * removed. Costs the change, not the number of series.
     */
    public synchronized void upstreamTargets(String upstream, Set<String> before, Map<String, TargetState> targets) {
        targets.forEach((key, state) -> targetInFlight(upstream, key, state));
        committedTargets.computeIfPresent(upstream, (u, c) -> new CommittedTargets(c.selector(),
                targets.keySet().stream().map(t -> targetKey(upstream, t)).toList()));
        for (String gone : before) {
            if (targets.containsKey(gone)) {
                continue;
            }
            String key = targetKey(upstream, gone);
            Set<Meter.Id> series = targetSeries.remove(key);
            if (series != null) {
                series.forEach(registry::remove);
            }
            inFlight.remove(key);
        }
    }

    /** What the in-flight gauge of one target reads. */
    private static final class InFlightGauge {
        volatile TargetState state;

        double value() {
            TargetState s = state;
            return s == null ? 0 : s.inFlight();
        }
    }

    /**
     * The target keys of {@code upstream} when its in-flight gauges were committed reading {@code selector}
     * itself (nothing to register again), else null.
     */
    synchronized List<String> committedTargetKeys(String upstream, Object selector) {
        CommittedTargets c = committedTargets.get(upstream);
        return c != null && c.selector() == selector ? c.keys() : null;
    }

    /**
     * After a swap: keeps what {@code kept} kept and added, retires the other holders and removes
     * the other series. Costs the change: holders, services and upstreams that stay are counted,
     * not walked, unless some left; only the targets of upstreams with a new selector are compared.
     */
    synchronized void retain(Kept kept) {
        if (kept.dropped() != null) {
            retainPatched(kept);
            return;
        }
        Map<String, RouteMeters.Holder> before = holders;
        if (kept.keptHolders() != before.size() || !kept.addedHolders().isEmpty()) {
            Map<String, RouteMeters.Holder> next = new HashMap<>(kept.keptHolders() + kept.addedHolders().size());
            before.forEach((key, h) -> {
                if (h.keptBy == kept.generation()) {
                    next.put(key, h);
                } else {
                    h.committed = false;
                    h.retire();
                }
            });
            kept.addedHolders().forEach((key, h) -> {
                h.committed = true;
                next.put(key, h);
            });
            holders = Map.copyOf(next);
        }
        if (kept.keptServices().size() != live.size() || !kept.addedServices().isEmpty()) {
            live.entrySet().removeIf(e -> {
                if (kept.keptServices().contains(e.getKey())) {
                    return false;
                }
                RetryGauge now = kept.addedServices().get(e.getKey());
                if (now == null || now.id() != e.getValue().id()) {
                    registry.remove(e.getValue().id());
                }
                return true;
            });
            live.putAll(kept.addedServices());
        }
        if (kept.upstreams().size() != committedTargets.size() || !kept.changedTargets().isEmpty()) {
            committedTargets.entrySet().removeIf(e -> {
                CommittedTargets now = kept.changedTargets().get(e.getKey());
                if (now == null && kept.upstreams().containsKey(e.getKey())) {
                    return false; // stays as committed
                }
                Set<String> stay = now == null ? Set.of() : new HashSet<>(now.keys());
                e.getValue().keys().forEach(k -> {
                    if (!stay.contains(k)) {
                        removeTarget(k);
                    }
                });
                return now == null;
            });
            committedTargets.putAll(kept.changedTargets());
        }
    }

    /** {@link #retain} after a delta's compile: only what it dropped and did not resolve again goes. */
    private void retainPatched(Kept kept) {
        Dropped d = kept.dropped();
        List<String> gone = new ArrayList<>();
        for (String key : d.holders()) {
            RouteMeters.Holder h = holders.get(key);
            if (h != null && h.keptBy != kept.generation() && !kept.addedHolders().containsKey(key)) {
                gone.add(key);
            }
        }
        if (!gone.isEmpty() || !kept.addedHolders().isEmpty()) {
            Map<String, RouteMeters.Holder> next = new HashMap<>(holders);
            for (String key : gone) {
                RouteMeters.Holder h = next.remove(key);
                h.committed = false;
                h.retire();
            }
            kept.addedHolders().forEach((key, h) -> {
                h.committed = true;
                next.put(key, h);
            });
            holders = Map.copyOf(next);
        }
        for (String service : d.services()) {
            if (!kept.keptServices().contains(service) && !kept.addedServices().containsKey(service)) {
                RetryGauge g = live.remove(service);
                if (g != null) {
                    registry.remove(g.id());
                }
            }
        }
        kept.addedServices().forEach((service, now) -> {
            RetryGauge before = live.put(service, now);
            if (before != null && before.id() != now.id()) {
                registry.remove(before.id());
            }
        });
        for (String upstream : d.upstreams()) {
            if (!kept.upstreams().containsKey(upstream)) {
                CommittedTargets before = committedTargets.remove(upstream);
                if (before != null) {
                    before.keys().forEach(this::removeTarget);
                }
            }
        }
        kept.changedTargets().forEach((upstream, now) -> {
            CommittedTargets before = committedTargets.put(upstream, now);
            if (before != null) {
                Set<String> stay = new HashSet<>(now.keys());
                before.keys().stream().filter(k -> !stay.contains(k)).forEach(this::removeTarget);
            }
        });
    }

    private void removeTarget(String key) {
        Set<Meter.Id> series = targetSeries.remove(key);
        if (series != null) {
            series.forEach(registry::remove);
        }
        inFlight.remove(key);
    }

    /** A refused snapshot: removes what it registered that the applied one does not use. */
    synchronized void forget(Map<String, RetryGauge> registered, Map<String, CommittedTargets> changedTargets) {
        changedTargets.forEach((upstream, c) -> {
            CommittedTargets committed = committedTargets.get(upstream);
            Set<String> stay = committed == null ? Set.of() : new HashSet<>(committed.keys());
            c.keys().forEach(k -> {
                if (!stay.contains(k)) {
                    removeTarget(k);
                }
            });
        });
        registered.forEach((service, g) -> {
            RetryGauge committed = live.get(service);
            if (committed == null || committed.id() != g.id()) {
                registry.remove(g.id());
            }
        });
    }

    /**
     * Gives each event loop of {@code group} its buffer of request-timer samples ({@link TimerSamples}),
     * drained once a second and on every {@link #scrape()}.
     */
    public void attach(EventExecutorGroup group) {
        for (EventExecutor loop : group) {
            TimerSamples s = new TimerSamples(loop);
            loop.execute(s::install);
            loop.scheduleAtFixedRate(s::drain, TimerSamples.PERIOD_MILLIS, TimerSamples.PERIOD_MILLIS, TimeUnit.MILLISECONDS);
            samples.add(s);
        }
    }

    /**
     * Records every loop's waiting request-timer samples into their timers and returns when done:
     * the timers then hold every request that finished before the call. Waits at most the drain
     * wait in all ({@link #DEFAULT_DRAIN_WAIT} unless set); a loop still busy then is logged
     * ({@code event=metrics.drain_late}) and counted ({@code gatehouse_metrics_drain_late_total}),
     * its samples stay for its next drain.
     */
    public void drainTimers() {
        if (samples.isEmpty()) {
            return;
        }
        List<Future<?>> pending = new ArrayList<>(samples.size());
        for (TimerSamples s : samples) {
            pending.add(s.drainSoon());
        }
        long deadline = System.nanoTime() + drainWait.toNanos();
        for (int i = 0; i < pending.size(); i++) {
            long left = deadline - System.nanoTime();
            boolean done;
            try {
                done = pending.get(i).await(Math.max(0, left), TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (!done) {
                drainLate.increment();
                LOG.warn("event=metrics.drain_late loop={} waited_ms={} fix=\"the event loop is busy or blocked; "
                        + "the request timers it holds are recorded on its next drain\"", samples.get(i).loop(), drainWait.toMillis());
            }
        }
    }

    /**
     * The Prometheus text exposition, or null when the registry is not (and holds no) Prometheus
     * registry. The loops' request-timer samples are drained first ({@link #drainTimers()}).
     */
    public String scrape() {
        PrometheusMeterRegistry p = prometheus(registry);
        if (p == null) {
            return null;
        }
        drainTimers();
        return p.scrape();
    }

    private static PrometheusMeterRegistry prometheus(MeterRegistry r) {
        if (r instanceof PrometheusMeterRegistry p) {
            return p;
        }
        if (r instanceof CompositeMeterRegistry c) {
            for (MeterRegistry child : c.getRegistries()) {
                PrometheusMeterRegistry p = prometheus(child);
                if (p != null) {
                    return p;
                }
            }
        }
        return null;
    }

}
