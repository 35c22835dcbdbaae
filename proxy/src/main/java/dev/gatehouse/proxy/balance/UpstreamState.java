package dev.gatehouse.proxy.balance;

import dev.gatehouse.config.Upstream;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The state of one upstream that outlives compiled snapshots: its targets' {@link TargetState}s
 * by {@code host:port}, the configuration last applied, and each event loop's balancing position
 * ({@link LoopView}, by {@link LoopSlots} number; read without a lock, added under this
 * object's monitor the first time a loop picks). Targets and configuration change only in
 * {@link #adopt}, when a {@link BalancerPlan} is committed, which also records the committed
 * {@link Balancer} for the next plan to reuse.
 */
public final class UpstreamState {
    private final String id;
    private final Map<String, TargetState> targets = new ConcurrentHashMap<>();
    private final AtomicInteger nextSlot = new AtomicInteger();
    /** Each event loop's view, by loop slot; copied on write, so a pick reads it without a lock. */
    private volatile LoopView[] views = new LoopView[0];
    /** Round robin's place in the shared smooth sequence ({@link RoundRobin}); survives swaps, so the sequence goes on. */
    private final java.util.concurrent.atomic.AtomicLong ticket = new java.util.concurrent.atomic.AtomicLong();
    /** The view of threads that are not event loops; locked by its users. */
    private final LoopView shared = new LoopView();
    private volatile Upstream config;
    /** The balancer last committed; the next plan takes it over whole while the upstream and its peers stay equal. */
    private volatile Balancer balancer;
    /** The selector the serving routes hold; null when the upstream was compiled without one. */
    private volatile UpstreamSelector selector;

    /** @param config the configuration it is created with; not live before its plan is committed */
    UpstreamState(String id, Upstream config) {
        this.id = id;
        this.config = config;
    }

    public String id() {
        return id;
    }

    public Upstream config() {
        return config;
    }

    Upstream.Passive passive() {
        Upstream c = config;
        return c == null || c.healthChecks() == null ? null : c.healthChecks().passive();
    }

    /** The state of target {@code key} ({@code host:port}), or null. */
    public TargetState find(String key) {
        return targets.get(key);
    }

    /** The view of event loop {@code loop} ({@link LoopSlots#current()}, {@code >= 0}); only that loop may use it. */
    LoopView view(int loop) {
        LoopView[] v = views;
        if (loop < v.length && v[loop] != null) {
            return v[loop];
        }
        return addView(loop);
    }

    private synchronized LoopView addView(int loop) {
        LoopView[] v = views;
        if (loop < v.length && v[loop] != null) {
            return v[loop];
        }
        LoopView[] next = java.util.Arrays.copyOf(v, Math.max(v.length, loop + 1));
        next[loop] = new LoopView();
        views = next;
        return next[loop];
    }

    /** The next position in round robin's shared sequence. */
    long nextTicket() {
        return ticket.getAndIncrement();
    }

    /** The view of threads that are not event loops; synchronize on it. */
    LoopView sharedView() {
        return shared;
    }

    /** The slot the next new target gets. */
    int nextSlot() {
        return nextSlot.get();
    }

    /**
     * Commits a plan: {@code next} becomes the target set (targets not in it are forgotten;
     * their in-flight requests finish on the state they hold), each target takes the weight and
     * address of its {@code peers} entry, and {@code config} becomes the configuration.
     */
    void adopt(Upstream config, Map<String, TargetState> next, Map<String, Peer> peers, int nextFreeSlot, Balancer committed) {
        next.forEach((key, t) -> {
            Peer p = peers.get(key);
            t.weight = p.weight();
            t.peer = p;
        });
        targets.keySet().retainAll(next.keySet());
        targets.putAll(next);
        nextSlot.accumulateAndGet(nextFreeSlot, Math::max);
        this.config = config;
        this.balancer = committed;
    }

    /** The balancer of the snapshot last committed, or null before the first commit. */
    Balancer balancer() {
        return balancer;
    }

    UpstreamSelector selector() {
        return selector;
    }

    void selector(UpstreamSelector s) {
        selector = s;
    }

    /** Whether one more target may be ejected: never more than {@code maxEjectionPercent} (at least one when > 0). */
    boolean mayEject(long now) {
        Upstream.Passive p = passive();
        if (p == null || p.maxEjectionPercent() <= 0) {
            return false;
        }
        int ejected = 0;
        for (TargetState t : targets.values()) {
            if (t.ejected(now)) {
                ejected++;
            }
        }
        int allowed = Math.max(1, targets.size() * p.maxEjectionPercent() / 100);
        return ejected < allowed;
    }

    /** The targets, by slot (the order they were first seen). */
    public List<TargetState> targets() {
        List<TargetState> out = new ArrayList<>(targets.values());
        out.sort(Comparator.comparingInt(TargetState::slot));
        return out;
    }
}
