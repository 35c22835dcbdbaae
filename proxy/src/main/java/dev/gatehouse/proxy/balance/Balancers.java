package dev.gatehouse.proxy.balance;

import dev.gatehouse.config.Upstream;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The balancing state of one proxy across snapshots: one {@link UpstreamState} per upstream id.
 * A snapshot's balancers are built aside in a {@link #plan()} (reusing the state of targets that
 * stay, so round robin position, counters, EWMAs, health and ejections survive a swap) and
 * {@link #commit committed} after the swap, which also forgets upstreams and targets that left.
 * A target that left is drained: requests in flight finish on the state they hold, no new
 * request picks it. A plan that is not committed changes nothing here.
 */
public final class Balancers implements AutoCloseable {
    /**
     * System property: when every target of an upstream is unhealthy or ejected, {@code true}
     * (the default) balances over all of them anyway (fail open); {@code false} answers 503.
     * An upstream's {@code healthChecks.failOpen} wins over it.
     */
    public static final String FAIL_OPEN_PROPERTY = "gatehouse.proxy.failOpen";

    private final Map<String, UpstreamState> upstreams = new ConcurrentHashMap<>();
    private final boolean failOpen = Boolean.parseBoolean(System.getProperty(FAIL_OPEN_PROPERTY, "true"));
    private final TargetResolver resolver;
    /** Target keys of each upstream as last committed. */
    private final Map<String, Set<String>> built = new ConcurrentHashMap<>();
    /** How many upstreams use each pool key, as last committed; its key set is {@link #livePoolKeys()}. */
    private final ConcurrentHashMap<String, Integer> poolKeyRefs = new ConcurrentHashMap<>();
    /** DNS names (not literals) by upstream, as last committed. */
    private final Map<String, Set<String>> namesByUpstream = new ConcurrentHashMap<>();
    /** Commits so far; a plan commits only on the generation it was built on. */
    private long generation;

    /** Without DNS re-resolution: a named target stays one target, resolved when connecting. */
    public Balancers() {
        this.resolver = null;
    }

    /** @param onDnsChange called, off the event loops, when a target name resolves differently; recompile then */
    public Balancers(Runnable onDnsChange) {
        this.resolver = new TargetResolver(onDnsChange);
    }

    /** Starts the balancers of a snapshot to compile, aside from the live state. */
    public synchronized BalancerPlan plan() {
        return new BalancerPlan(this, generation, resolver, failOpen);
    }

    UpstreamState live(String id) {
        return upstreams.get(id);
    }

    /**
     * Makes {@code plan} the live state; call right after the snapshot compiled with it is
     * published. Upstreams and targets not in the plan are forgotten; DNS names not in it are no
     * longer re-resolved, and new names are looked up (asynchronously).
     *
     * Costs what changed: an upstream the plan kept as it is ({@link BalancerPlan}) is skipped;
     * only the others' targets, pool keys and names are looked at. A delta's plan
     * ({@link BalancerPlan#keepUnplanned}) does not even look at the upstreams it did not plan.
     *
     * @return whether some pool key is used by no upstream any more (its idle connections can go:
     *         {@link #livePoolKeys()})
     * @throws IllegalStateException when another plan was committed since this one was started
     *         (plans must be compiled and committed one at a time, as ProxyServer.apply does)
     */
    public synchronized boolean commit(BalancerPlan plan) {
        if (plan.owner != this) {
            throw new IllegalArgumentException("plan: of another Balancers (expected: one from this.plan())");
        }
        if (plan.generation != generation) {
            throw new IllegalStateException("plan: started at generation " + plan.generation + ", now " + generation
                    + " (expected: plan, compile and commit one snapshot at a time)");
        }
        generation++;
        boolean dropped = false;
        boolean namesChanged = false;
        if (plan.removed != null) { // a delta's plan: only the upstreams it removed leave
            for (String id : plan.removed) {
                if (!plan.upstreams.containsKey(id) && upstreams.remove(id) != null) {
                    dropped |= movePoolKeys(built.remove(id), Set.of());
                    namesChanged |= !namesByUpstream.getOrDefault(id, Set.of()).isEmpty();
                    namesByUpstream.remove(id);
                }
            }
        } else if (plan.liveCount < upstreams.size()) { // some live upstream is not in the plan
            for (String id : List.copyOf(upstreams.keySet())) {
                if (!plan.upstreams.containsKey(id)) {
                    upstreams.remove(id);
                    dropped |= movePoolKeys(built.remove(id), Set.of());
                    namesChanged |= !namesByUpstream.getOrDefault(id, Set.of()).isEmpty();
                    namesByUpstream.remove(id);
                }
            }
        }
        // an upstream kept as it is (the very same configuration and balancer) is not looked at again:
        // its targets, pool keys and names are the ones committed
        for (String id : plan.changed) {
            BalancerPlan.Staged s = plan.upstreams.get(id);
            if (s.kept()) {
                s.state().selector(plan.selectors.get(id));
                continue;
            }
            s.state().adopt(s.config(), s.targets(), s.peers(), s.nextSlot(), s.balancer());
            s.state().selector(plan.selectors.get(id));
            upstreams.put(id, s.state());
            Set<String> after = Set.copyOf(s.targets().keySet());
            dropped |= movePoolKeys(built.put(id, after), after);
            namesChanged |= noteNames(id, s.config());
        }
        if (namesChanged) {
            useNames();
        }
        return dropped;
    }

    /**
     * Moves one upstream's pool-key counts from the keys it had ({@code before}, null for none) to
     * {@code after}; true when a key of {@code before} is used by no upstream any more.
     */
    private boolean movePoolKeys(Set<String> before, Set<String> after) {
        if (before == null) {
            after.forEach(k -> poolKeyRefs.merge(k, 1, Integer::sum));
            return false;
        }
        if (after.equals(before)) {
            return false;
        }
        after.forEach(k -> poolKeyRefs.merge(k, 1, Integer::sum));
        boolean dropped = false;
        for (String k : before) {
            dropped |= poolKeyRefs.computeIfPresent(k, (key, n) -> n == 1 ? null : n - 1) == null;
        }
        return dropped;
    }

    /** Records upstream {@code id}'s DNS names; true when they differ from what it had. */
    private boolean noteNames(String id, Upstream config) {
        Set<String> n = names(config);
        return !n.equals(namesByUpstream.put(id, n));
    }

    /** Hands the resolver the DNS names every upstream uses, after some upstream's changed. */
    private void useNames() {
        if (resolver == null) {
            return;
        }
        Set<String> all = new HashSet<>();
        namesByUpstream.values().forEach(all::addAll);
        resolver.use(all);
    }

    /** Whether upstream {@code id}, as last committed, has a target by DNS name (its peers follow the answers). */
    boolean usesNames(String id) {
        Set<String> n = namesByUpstream.get(id);
        return n == null || !n.isEmpty();
    }

    private static Set<String> names(Upstream u) {
        Set<String> out = new HashSet<>();
        for (Upstream.Target t : u.targets()) {
            if (!TargetResolver.isLiteral(t.host())) {
                out.add(t.host());
            }
        }
        return out.isEmpty() ? Set.of() : out;
    }

    /**
     * Replaces the targets of live upstreams in place (an endpoint delta): each gets a new
     * balancer, built like a plan's (targets that stay keep their state: position, counters,
     * EWMAs, health, ejection, in-flight count; new ones start fresh, with slow start), swapped
     * into the {@link UpstreamSelector} the serving routes hold. Requests already running finish
     * on the balancer they pinned, so a removed target drains. Nothing else changes: the routes,
     * the other upstreams, each upstream's settings (the caller checked only targets differ).
     * All or nothing: when one upstream cannot be replaced, none is.
     *
     * Costs what changed, not what is served: only the changed upstreams' targets, pool keys and
     * DNS names are looked at.
     *
     * @param changed the upstreams as they are now; each must be live and compiled with a selector
     * @return per upstream, its targets before and after, for the caller's meters and pools
     * @throws IllegalArgumentException when an upstream is not live or has no selector (apply a whole snapshot then)
     */
    public synchronized Map<String, Replaced> replaceTargets(List<Upstream> changed) {
        for (Upstream u : changed) {
            UpstreamState live = upstreams.get(u.id());
            if (live == null || live.selector() == null) {
                throw new IllegalArgumentException("upstream " + u.id() + ": " + (live == null ? "not served" : "compiled without a selector")
                        + " (expected: an upstream of the applied snapshot; apply the whole snapshot instead)");
            }
        }
        BalancerPlan plan = new BalancerPlan(this, generation, resolver, failOpen);
        for (Upstream u : changed) {
            plan.balancer(u);
        }
        generation++;
        Map<String, Replaced> out = new LinkedHashMap<>();
        boolean namesChanged = false;
        for (Map.Entry<String, BalancerPlan.Staged> e : plan.upstreams.entrySet()) {
            String id = e.getKey();
            BalancerPlan.Staged s = e.getValue();
            s.state().adopt(s.config(), s.targets(), s.peers(), s.nextSlot(), s.balancer());
            s.state().selector().replace(s.balancer());
            Set<String> after = Set.copyOf(s.targets().keySet());
            Set<String> before = built.put(id, after);
            boolean dropped = movePoolKeys(before, after);
            out.put(id, new Replaced(before == null ? Set.of() : before, Map.copyOf(s.targets()), dropped));
            namesChanged |= noteNames(id, s.config());
        }
        if (namesChanged) {
            useNames();
        }
        return out;
    }

    /**
     * One upstream's targets replaced by {@link #replaceTargets}.
     *
     * @param before      its target keys before
     * @param after       its targets now, by key
     * @param poolDropped whether some key of {@code before} is used by no upstream any more (its
     *                    connections can go: {@link #livePoolKeys()})
     */
    public record Replaced(Set<String> before, Map<String, TargetState> after, boolean poolDropped) {
    }

    /** The pool keys in use now, as a live read-only view (no copy); safe to read from any thread. */
    public Set<String> livePoolKeys() {
        return java.util.Collections.unmodifiableSet(poolKeyRefs.keySet());
    }

    /** Pool keys ({@code host:port}, or {@code host:port@address} for a DNS record) as last committed. */
    public Set<String> poolKeys() {
        Set<String> out = new HashSet<>();
        built.values().forEach(out::addAll);
        return out;
    }

    /** Stops DNS re-resolution. */
    @Override
    public void close() {
        if (resolver != null) {
            resolver.close();
        }
    }

    /** Upstream states by id. */
    public Map<String, UpstreamState> upstreams() {
        return Map.copyOf(upstreams);
    }

    /** For {@code GET /upstreams}: per upstream, per target its address, weight, health and counters. */
    public List<Map<String, Object>> describe() {
        long now = System.nanoTime();
        List<Map<String, Object>> out = new ArrayList<>();
        upstreams.values().stream().sorted(java.util.Comparator.comparing(UpstreamState::id)).forEach(s -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", s.id());
            Upstream c = s.config();
            m.put("algorithm", c == null ? null : c.algorithm().name());
            List<Map<String, Object>> ts = new ArrayList<>();
            for (TargetState t : s.targets()) {
                Map<String, Object> tm = new LinkedHashMap<>();
                tm.put("address", t.key());
                tm.put("weight", t.weight());
                tm.put("health", t.weight() == 0 ? "DRAINED" : !t.healthy() ? "UNHEALTHY" : t.ejected(now) ? "EJECTED" : "HEALTHY");
                tm.put("ejectedForMillis", t.ejected(now) ? TimeUnit.NANOSECONDS.toMillis(t.ejectedUntilNanos() - now) : 0);
                tm.put("inFlight", t.inFlight());
                tm.put("ewmaMillis", Math.round(t.ewmaNanos(now) / 1_000) / 1_000.0);
                tm.put("requests", t.requests());
                tm.put("failures", t.failures());
                ts.add(tm);
            }
            m.put("targets", ts);
            out.add(m);
        });
        return out;
    }
}
