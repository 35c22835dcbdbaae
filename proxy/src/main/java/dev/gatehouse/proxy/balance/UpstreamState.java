package dev.gatehouse.proxy.balance;

import dev.gatehouse.config.Upstream;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The state of one upstream that outlives compiled snapshots: its targets' {@link TargetState}s
 * by {@code host:port} and the configuration last applied. Its monitor guards the smooth round
 * robin position (a few dozen instructions per pick).
 */
public final class UpstreamState {
    private final String id;
    private final Map<String, TargetState> targets = new ConcurrentHashMap<>();
    private final AtomicInteger nextSlot = new AtomicInteger();
    final AtomicInteger cursor = new AtomicInteger();
    private volatile Upstream config;

    UpstreamState(String id) {
        this.id = id;
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

    /**
     * The state of {@code key}, created on first sight. A target added to an upstream that
     * already had targets ramps up under slow start; the targets of a new upstream do not.
     */
    TargetState target(String key, int weight, long now) {
        TargetState t = targets.get(key);
        if (t == null) {
            boolean rampUp = !targets.isEmpty();
            t = new TargetState(this, key, nextSlot.getAndIncrement(), weight, now, rampUp);
            targets.put(key, t);
        }
        t.weight = weight;
        return t;
    }

    /** The state of target {@code key} ({@code host:port}), or null. */
    public TargetState find(String key) {
        return targets.get(key);
    }

    void configure(Upstream u) {
        config = u;
    }

    /** Forgets targets not in {@code keys}; their in-flight requests finish on the state they hold. */
    void retain(Set<String> keys) {
        targets.keySet().retainAll(keys);
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
