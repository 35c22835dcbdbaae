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
 * by {@code host:port} and the configuration last applied. Its monitor guards the smooth round
 * robin position (a few dozen instructions per pick). Targets and configuration change only in
 * {@link #adopt}, when a {@link BalancerPlan} is committed.
 */
public final class UpstreamState {
    private final String id;
    private final Map<String, TargetState> targets = new ConcurrentHashMap<>();
    private final AtomicInteger nextSlot = new AtomicInteger();
    final AtomicInteger cursor = new AtomicInteger();
    private volatile Upstream config;

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

    /** The slot the next new target gets. */
    int nextSlot() {
        return nextSlot.get();
    }

    /**
     * Commits a plan: {@code next} becomes the target set (targets not in it are forgotten;
     * their in-flight requests finish on the state they hold), each target takes the weight and
     * address of its {@code peers} entry, and {@code config} becomes the configuration.
     */
    void adopt(Upstream config, Map<String, TargetState> next, Map<String, Peer> peers, int nextFreeSlot) {
        next.forEach((key, t) -> {
            Peer p = peers.get(key);
            t.weight = p.weight();
            t.peer = p;
        });
        targets.keySet().retainAll(next.keySet());
        targets.putAll(next);
        nextSlot.accumulateAndGet(nextFreeSlot, Math::max);
        this.config = config;
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
