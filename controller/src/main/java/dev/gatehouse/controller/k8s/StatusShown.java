package dev.gatehouse.controller.k8s;

import dev.gatehouse.controller.translate.ObjectStatus;
import io.fabric8.kubernetes.client.CustomResource;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What the status updater knows of each object beyond the informer cache, by key
 * ({@code Kind/namespace/name}): its own last write while the cache has not caught up with it,
 * the inputs it last found the object's status unchanged with, and its failed writes with their
 * backoff (1 s doubling to 60 s). The status updater's thread only.
 */
@SuppressWarnings("rawtypes")
final class StatusShown {
    static final Duration FIRST_RETRY = Duration.ofSeconds(1);
    static final Duration LAST_RETRY = Duration.ofSeconds(60);

    private record Written(String before, CustomResource object) {
    }

    /** A failed write: how many in a row, and when the next may be tried. */
    record Failure(int count, long retryAt, long backoffNanos) {
    }

    /**
     * Everything an object's wanted status is decided from, when it was last found to show it: the
     * same again (the same decided status and cached object, by identity, and the same Programmed
     * inputs) is unchanged without building and comparing its conditions.
     */
    record Judged(ObjectStatus decided, CustomResource base, long since, int serving, int servingSince,
                  boolean noneConnected, String rejected, String behind) {
        /** The inputs of {@code decided} over {@code base} now; {@code since}: the first version that held its generation. */
        static Judged of(ObjectStatus decided, CustomResource base, long since, ProxyFleet fleet, Map<String, String> rejections) {
            return new Judged(decided, base, since, fleet.synced(), fleet.ackedAtLeast(since), fleet.connected() == 0,
                    rejections.get(decided.source().uid()), fleet.behind(since));
        }

        boolean same(Judged o) {
            return o != null && decided == o.decided && base == o.base && since == o.since && serving == o.serving
                    && servingSince == o.servingSince && noneConnected == o.noneConnected && Objects.equals(rejected, o.rejected)
                    && Objects.equals(behind, o.behind);
        }
    }

    private final Map<String, Written> lastWritten = new HashMap<>();
    private final Map<String, Failure> failures = new HashMap<>();
    private final Map<String, Judged> judged = new HashMap<>();

    /**
     * What {@code key} shows now: the cached object, or this updater's last write of it while the
     * cache still holds the version that write replaced (the watch event is on its way).
     */
    CustomResource base(String key, CustomResource cached) {
        Written w = lastWritten.get(key);
        if (w == null) {
            return cached;
        }
        if (Objects.equals(cached.getMetadata().getResourceVersion(), w.before())) {
            return w.object();
        }
        lastWritten.remove(key); // caught up, or written by someone else since: the cache tells
        return cached;
    }

    /** True when {@code inputs} are those {@code key} was last found unchanged with. */
    boolean unchangedBefore(String key, Judged inputs) {
        return inputs.same(judged.get(key));
    }

    /** {@code key} shows what it should, decided from {@code inputs}. */
    void unchanged(String key, Judged inputs) {
        failures.remove(key);
        judged.put(key, inputs);
    }

    /** {@code key} is to be written: whatever it was judged from before no longer holds. */
    void differs(String key) {
        judged.remove(key);
    }

    /** {@code key} was written over {@code cached}: {@code result} is what it shows until the cache catches up. */
    void written(String key, CustomResource cached, CustomResource result) {
        failures.remove(key);
        if (result != null) {
            lastWritten.put(key, new Written(cached.getMetadata().getResourceVersion(), result));
        }
    }

    /** A write of {@code key} failed: the next is tried after a backoff. */
    Failure failed(String key, long now) {
        Failure f = failures.get(key);
        int count = f == null ? 1 : f.count() + 1;
        long backoff = Math.min(LAST_RETRY.toNanos(), FIRST_RETRY.toNanos() << Math.min(count - 1, 6));
        Failure next = new Failure(count, now + backoff, backoff);
        failures.put(key, next);
        return next;
    }

    /** True while {@code key}'s last write failed and its backoff has not run out. */
    boolean backingOff(String key, long now) {
        Failure f = failures.get(key);
        return f != null && f.retryAt() > now;
    }

    /** When the earliest failed write may be tried again; {@link Long#MAX_VALUE}: none failed. */
    long nextRetry() {
        long at = Long.MAX_VALUE;
        for (Failure f : failures.values()) {
            at = Math.min(at, f.retryAt());
        }
        return at;
    }

    /** Forgets the objects that are gone. */
    void retainAll(Set<String> keys) {
        lastWritten.keySet().retainAll(keys);
        failures.keySet().retainAll(keys);
        judged.keySet().retainAll(keys);
    }
}
