package dev.gatehouse.proxy.observe;

import dev.gatehouse.config.Route;
import dev.gatehouse.proxy.balance.TargetSelector;
import io.micrometer.core.instrument.Gauge;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * Resolves the meters of one snapshot while it is compiled, registering no route series (a route
 * registers its own on its first request, {@link RouteMeters}). A route that stays across swaps,
 * or is replaced by one of the same id and service, gets the holder it had, so its counts go on.
 * After the swap, {@link #commit()} retires the holders of routes that left (removing their
 * series) and removes the series of targets that left; a snapshot that failed to compile calls
 * {@link #abandon()} instead. Not thread-safe: one compile at a time (ProxyServer.apply is serialized).
 */
public final class RouteMetersFactory {
    private final ProxyMetrics metrics;
    /** Marks the committed holders this snapshot keeps ({@link RouteMeters.Holder#keptBy}). */
    private final long generation;
    /** The retries-in-flight gauges this snapshot registered, by service. */
    private final Map<String, ProxyMetrics.RetryGauge> registered = new HashMap<>();
    /** The services that keep the gauge committed for them. */
    private final Set<String> keptServices = new HashSet<>();
    /** Route meter holders new with this snapshot, by {@link ProxyMetrics#holderKey}. */
    private final Map<String, RouteMeters.Holder> added = new HashMap<>();
    /** How many committed holders this snapshot keeps. */
    private int keptHolders;
    /** Upstreams seen, with the selector their targets' gauges read. */
    private final Map<String, Object> upstreams = new HashMap<>();
    /** Upstreams whose selector is not the committed one: their targets' gauges as registered now. */
    private final Map<String, ProxyMetrics.CommittedTargets> changedTargets = new HashMap<>();
    /** Null while every route, service and upstream is resolved here; else a delta's ({@link #patching}). */
    private ProxyMetrics.Dropped dropped;

    RouteMetersFactory(ProxyMetrics metrics) {
        this.metrics = metrics;
        this.generation = metrics == null ? 0 : metrics.nextGeneration();
    }

    /**
     * @param routeId   the route's id
     * @param serviceId its service's id; null when unresolved
     * @param keyAuth   the route's key-auth, or null: with it, its failure counters are registered and
     *                  its key names are redacted from the access log from now on
     * @param upstream  the upstream's id; null when unresolved
     * @param targets   the route's target selector (its targets' in-flight counts feed the gauge); null when unresolved
     */
    public RouteMeters route(String routeId, String serviceId, Route.KeyAuth keyAuth, String upstream, TargetSelector targets) {
        if (metrics == null) {
            return RouteMeters.DETACHED;
        }
        if (keyAuth != null) {
            metrics.redaction().add(keyAuth.keyNames()); // before the snapshot serves: see QueryRedaction
        }
        targets(upstream, targets);
        String service = serviceId == null ? RouteMeters.NONE : serviceId;
        String key = ProxyMetrics.holderKey(routeId, service);
        RouteMeters.Holder holder = metrics.committedHolder(key);
        if (holder != null) {
            keep(holder);
        } else { // registers nothing: the route's first request does
            holder = added.computeIfAbsent(key, k -> new RouteMeters.Holder(metrics.registry(), routeId, service));
        }
        return new RouteMeters(holder, keyAuth != null);
    }

    /**
     * Keeps {@code meters}, resolved for an equal route by the factory of the snapshot before, for
     * this snapshot: its series stay registered on commit, as {@link #route} would have found them
     * again. Costs a mark on the holder: the committed holders are carried over as a whole.
     *
     * @param meters   the route's meters in the snapshot before
     * @param keyAuth  the route's key-auth, or null
     * @param upstream the upstream's id; null when unresolved
     * @param targets  the route's target selector; null when unresolved
     */
    public RouteMeters reuse(RouteMeters meters, Route.KeyAuth keyAuth, String upstream, TargetSelector targets) {
        if (metrics == null) {
            return meters;
        }
        if (keyAuth != null) {
            metrics.redaction().add(keyAuth.keyNames());
        }
        targets(upstream, targets);
        if (meters.holder().committed) {
            keep(meters.holder());
        } else {
            added.put(ProxyMetrics.holderKey(meters.route(), meters.service()), meters.holder());
        }
        return meters;
    }

    private void keep(RouteMeters.Holder holder) {
        if (holder.keptBy != generation) {
            holder.keptBy = generation;
            keptHolders++;
        }
    }

    /** Registers the in-flight gauge of each target of {@code upstream}, once per upstream and selector. */
    private void targets(String upstream, TargetSelector targets) {
        if (upstream == null || targets == null || upstreams.get(upstream) == targets) {
            return;
        }
        upstreams.put(upstream, targets);
        if (metrics.committedTargetKeys(upstream, targets) != null) {
            changedTargets.remove(upstream);
            return; // the committed gauges read this very selector's targets
        }
        // a new or rebuilt balancer: point each target's gauge at its state
        List<String> fresh = new ArrayList<>(targets.peers().size());
        for (int i = 0; i < targets.peers().size(); i++) {
            String key = targets.peers().get(i).key();
            metrics.targetInFlight(upstream, key, targets.state(i));
            fresh.add(ProxyMetrics.targetKey(upstream, key));
        }
        changedTargets.put(upstream, new ProxyMetrics.CommittedTargets(targets, List.copyOf(fresh)));
    }

    /**
     * Registers {@code gatehouse_retries_in_flight{service}}, reading {@code state}; kept while the
     * service stays in the applied snapshot. A service that stays keeps the gauge it had, so
     * {@code state} must read counts that survive swaps (the retry budget's do). A service whose
     * committed gauge reads {@code state} itself costs a look-up, nothing registered again.
     */
    public <T> void retriesInFlight(String serviceId, T state, ToDoubleFunction<T> value) {
        if (metrics == null) {
            return;
        }
        if (metrics.committedRetryGauge(serviceId, state)) {
            keptServices.add(serviceId);
            return;
        }
        registered.put(serviceId, new ProxyMetrics.RetryGauge(state, Gauge.builder("gatehouse.retries.in.flight", state, value)
                .description("Retries in flight for a service, capped by its retry budget").tag("service", serviceId)
                .strongReference(true).register(metrics.registry()).getId()));
    }

    /**
     * Makes these the meters of an object delta's changed objects alone: at commit, everything
     * committed stays but what {@link #dropRoute}, {@link #dropService} and {@link #dropUpstream}
     * name and this compile did not resolve again. The commit then costs the delta, not the config.
     */
    public void patching() {
        if (dropped == null) {
            dropped = new ProxyMetrics.Dropped(new HashSet<>(), new HashSet<>(), new HashSet<>());
        }
    }

    /** A route's meters of the snapshot before, recompiled or removed by a delta ({@link #patching}). */
    public void dropRoute(RouteMeters before) {
        if (metrics != null && before != null && before.holder() != null) {
            dropped.holders().add(ProxyMetrics.holderKey(before.route(), before.service()));
        }
    }

    /** A service a delta ({@link #patching}) put or removed: its gauge goes unless resolved again. */
    public void dropService(String serviceId) {
        dropped.services().add(serviceId);
    }

    /** An upstream a delta ({@link #patching}) put or removed: its targets' gauges go unless resolved again. */
    public void dropUpstream(String upstreamId) {
        dropped.upstreams().add(upstreamId);
    }

    /** The snapshot compiled with these meters is applied: drop the series nothing uses any more. */
    public void commit() {
        if (metrics != null) {
            metrics.retain(new ProxyMetrics.Kept(generation, keptHolders, added, keptServices, registered, upstreams,
                    changedTargets, dropped));
        }
    }

    /** The snapshot was refused: drop the series only it had registered (its routes served no request: they have none). */
    public void abandon() {
        if (metrics != null) {
            metrics.forget(registered, changedTargets);
        }
    }

    /** A factory whose meters belong to no registry (for compiling without metrics). */
    public static RouteMetersFactory detached() {
        return new RouteMetersFactory(null);
    }
}
