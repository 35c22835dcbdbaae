package dev.gatehouse.proxy;

import dev.gatehouse.config.Problem;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotIndex;
import dev.gatehouse.proxy.balance.BalancerPlan;
import dev.gatehouse.proxy.balance.Balancers;
import dev.gatehouse.proxy.forward.CompiledSnapshot;
import dev.gatehouse.proxy.forward.DataPlane;
import dev.gatehouse.proxy.forward.RetryBudgets;
import dev.gatehouse.proxy.forward.UpstreamPool;
import dev.gatehouse.proxy.health.HealthChecker;
import dev.gatehouse.proxy.observe.ProxyMetrics;
import dev.gatehouse.proxy.observe.RouteMetersFactory;
import dev.gatehouse.proxy.tls.ServerCertificates;
import io.netty.channel.EventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The apply path of {@link ProxyServer}: a snapshot validated, compiled and committed together
 * with everything built aside for it (balancers, retry budgets, route meters, certificates), the
 * data ports opened by the first one; and an endpoint delta's targets replaced in place. What
 * {@link ProxyServer#apply} and its delta variants promise is done here. Called under the
 * proxy's lock, never once the proxy is closed (the proxy checks), never on an event loop.
 * Logs under {@link ProxyServer}'s name, as it did before it moved here.
 */
final class SnapshotSwap {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyServer.class);

    private final DataPlane plane;
    private final DataPort dataPort;
    /** Null without a TLS port. */
    private final TlsPort tls;
    private final Map<EventLoop, UpstreamPool> pools;
    private final ProxyMetrics metrics;
    private final Balancers balancers;
    private final RetryBudgets retryBudgets;
    private final HealthChecker health;
    /** The served snapshot's ids, for validating the next object delta in proportion to it. */
    private SnapshotIndex validated;

    SnapshotSwap(DataPlane plane, DataPort dataPort, TlsPort tls, Map<EventLoop, UpstreamPool> pools, ProxyMetrics metrics,
                 Balancers balancers, RetryBudgets retryBudgets, HealthChecker health) {
        this.plane = plane;
        this.dataPort = dataPort;
        this.tls = tls;
        this.pools = pools;
        this.metrics = metrics;
        this.balancers = balancers;
        this.retryBudgets = retryBudgets;
        this.health = health;
    }

    /**
     * @param contentHash null to compute it
     * @param changes     what an object delta changed of the served snapshot, or null to validate the whole snapshot
     * @param kinds       the kinds an object delta changed, null for a whole snapshot
     */
    List<Problem> apply(Snapshot snapshot, String contentHash, SnapshotIndex.Changes changes, String kinds) {
        dataPort.throwIfFailed();
        if (tls != null) {
            tls.port().throwIfFailed();
        }
        long startNanos = System.nanoTime();
        SnapshotIndex base = changes == null ? null
                : validated != null && validated.snapshot() == plane.compiled().snapshot() ? validated
                : SnapshotIndex.of(plane.compiled().snapshot()); // served, so valid
        List<Problem> problems = base == null ? snapshot.validate() : base.validate(snapshot, changes);
        if (!problems.isEmpty()) {
            LOG.warn("event=snapshot.refused version={} problems={} first=\"{}\"", snapshot.version(), problems.size(),
                    problems.get(0));
            metrics.snapshotRefused(System.nanoTime() - startNanos);
            return problems;
        }
        CompiledSnapshot compiled;
        RouteMetersFactory meters = metrics.factory();
        BalancerPlan plan = balancers.plan();
        RetryBudgets.Plan budgets = retryBudgets.plan();
        try {
            compiled = CompiledSnapshot.compile(snapshot, meters, plan, budgets, plane.compiled(), contentHash, changes);
        } catch (RuntimeException e) {
            meters.abandon();
            LOG.warn("event=snapshot.refused version={} problems=1 first=\"cannot compile: {}\"", snapshot.version(), e.toString());
            metrics.snapshotRefused(System.nanoTime() - startNanos);
            return List.of(new Problem(null, "snapshot", "cannot compile: " + e.getMessage()));
        }
        ServerCertificates.Plan certs = tls == null ? null : tls.plan(snapshot);
        if (certs != null && !certs.problems().isEmpty()) {
            meters.abandon();
            tls.abandon(certs);
            LOG.warn("event=snapshot.refused version={} problems={} first=\"{}\"", snapshot.version(), certs.problems().size(),
                    certs.problems().get(0));
            metrics.snapshotRefused(System.nanoTime() - startNanos);
            return certs.problems();
        }
        // the first snapshot opens the port: binds it, or accepts on the port bound ahead of it (ProxyServer#bindPort)
        boolean opening = !dataPort.accepting() && !dataPort.closed() && !plane.draining();
        boolean openingTls;
        try {
            if (opening && !dataPort.bound()) {
                dataPort.bind(snapshot.version());
            }
            openingTls = tls != null && tls.bindIfOpening(snapshot, plane.draining());
        } catch (IllegalStateException e) {
            meters.abandon();
            if (certs != null) {
                tls.abandon(certs);
            }
            throw e;
        }
        plane.publish(compiled);
        validated = base == null ? SnapshotIndex.of(snapshot) : base.next(snapshot, changes);
        if (certs != null) {
            tls.commit(certs);
        }
        boolean poolKeysDropped = balancers.commit(plan);
        retryBudgets.commit(budgets);
        meters.commit();
        metrics.snapshotApplied(snapshot.version(), System.nanoTime() - startNanos);
        if (changes == null || changes.upstreams() != null) {
            health.reconcile(); // a delta that left every upstream as it was changed no balancer: no probe to start or stop
        }
        if (poolKeysDropped) { // idle connections to targets no upstream uses any more go; the others stay
            Set<String> keys = balancers.livePoolKeys();
            pools.forEach((loop, pool) -> loop.execute(() -> pool.retainOnly(keys)));
        }
        LOG.info("event=snapshot.applied version={} routes={} services={} upstreams={} hash={} kind={} micros={}",
                snapshot.version(), snapshot.routes().size(), snapshot.services().size(), snapshot.upstreams().size(),
                compiled.contentHash(), kinds == null ? "snapshot" : "objects", (System.nanoTime() - startNanos) / 1_000);
        // the TLS port first: whenListening() (the data port) then means both accept when one snapshot opens both
        if (openingTls) {
            tls.accept(snapshot.version());
        }
        if (opening) {
            dataPort.accept(snapshot.version());
        }
        return List.of();
    }

    /**
     * Applies an endpoint delta in place: {@code next} differs from the served snapshot only in
     * the targets of {@code changedUpstreams}. Those upstreams are validated, their targets
     * replaced in the live balancers ({@link Balancers#replaceTargets}: targets that stay keep
     * balancing, health and in-flight state; new ones start fresh; removed ones drain), and the
     * compiled snapshot re-published with the same router, so nothing is recompiled. Before the
     * first snapshot, or when an upstream cannot be replaced in place, it is applied whole.
     */
    List<Problem> applyEndpoints(Snapshot next, String contentHash, List<String> changedUpstreams) {
        if (!dataPort.accepting()) {
            return apply(next, null, null, null);
        }
        long startNanos = System.nanoTime();
        Set<String> ids = Set.copyOf(changedUpstreams);
        List<dev.gatehouse.config.Upstream> changed = next.upstreams().stream().filter(u -> ids.contains(u.id())).toList();
        List<Problem> problems = new Snapshot(next.version(), List.of(), List.of(), changed, List.of()).validate();
        if (!problems.isEmpty()) {
            LOG.warn("event=snapshot.refused version={} kind=endpoints problems={} first=\"{}\"", next.version(), problems.size(),
                    problems.get(0));
            metrics.snapshotRefused(System.nanoTime() - startNanos);
            return problems;
        }
        Map<String, Balancers.Replaced> targets;
        try {
            targets = balancers.replaceTargets(changed);
        } catch (IllegalArgumentException e) {
            LOG.info("event=snapshot.endpoints-whole version={} reason=\"{}\"", next.version(), e.getMessage());
            return apply(next, null, null, null);
        }
        plane.publish(plane.compiled().withEndpoints(next, contentHash));
        targets.forEach((id, r) -> metrics.upstreamTargets(id, r.before(), r.after()));
        metrics.snapshotApplied(next.version(), System.nanoTime() - startNanos);
        if (changed.stream().anyMatch(u -> u.healthChecks() != null && u.healthChecks().active() != null)) {
            health.reconcile(); // probes start for new targets and stop for removed ones
        }
        if (targets.values().stream().anyMatch(Balancers.Replaced::poolDropped)) {
            Set<String> keys = balancers.livePoolKeys(); // a live view: no copy of every key per delta
            pools.forEach((loop, pool) -> loop.execute(() -> pool.retainOnly(keys)));
        }
        LOG.info("event=snapshot.applied version={} kind=endpoints upstreams={} hash={} micros={}", next.version(),
                changed.size(), contentHash, (System.nanoTime() - startNanos) / 1_000);
        return List.of();
    }
}
