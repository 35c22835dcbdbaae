package dev.gatehouse.controller.k8s;

import dev.gatehouse.controller.publish.SnapshotVersions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The content hashes other replicas reported that the leader could not map to one of its last
 * {@value SnapshotVersions#REMEMBERED} versions ({@link ClusterFleet}): a proxy on such content
 * acknowledges nothing, so the objects it should serve stay Pending. Two causes: the other replica
 * is ahead (it published content the leader has not yet; usual for a moment during a stream of
 * changes, and mapped once the leader publishes it), or it is further behind than the window (its
 * proxies stay Pending until they catch up). Each distinct hash is counted once
 * ({@code gatehouse_controller_replica_hashes_unmapped_total}) and logged at most once a minute
 * ({@code event=replica.hash_unmapped}, INFO, with the count so far). Thread-safe.
 */
final class UnmappedHashes {
    private static final Logger log = LoggerFactory.getLogger(UnmappedHashes.class);
    private static final long LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);
    /** The hashes already counted, the newest kept: a hash reported again is not counted again. */
    private final Map<String, Boolean> seen = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > SnapshotVersions.REMEMBERED;
        }
    };
    private final Counter counter;
    private final LongSupplier nanoTime;
    private long lastLog = Long.MIN_VALUE;

    UnmappedHashes(MeterRegistry registry, LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.counter = Counter.builder("gatehouse.controller.replica.hashes_unmapped")
                .description("Content hashes another replica's proxies acknowledged or refused that the leader could not "
                        + "map to one of its last " + SnapshotVersions.REMEMBERED + " versions (that replica ahead of the "
                        + "leader, or further behind than the window): those proxies count as not acknowledging, Pending")
                .register(registry);
    }

    /** {@code hash}, reported by {@code replica}, maps to none of the leader's recent versions. */
    synchronized void unmapped(String hash, String replica) {
        if (seen.put(hash, Boolean.TRUE) != null) {
            return;
        }
        counter.increment();
        long now = nanoTime.getAsLong();
        if (lastLog == Long.MIN_VALUE || now - lastLog >= LOG_EVERY_NANOS) {
            lastLog = now;
            log.info("event=replica.hash_unmapped replica={} hash={} unmapped_so_far={} window_versions={} note=\"a proxy of "
                            + "that replica is on content the leader published in none of its last versions: ahead of the "
                            + "leader (for a moment, during changes) or behind the window; it counts as not acknowledging "
                            + "until they meet\"", replica, hash, (long) counter.count(), SnapshotVersions.REMEMBERED);
        }
    }

    long count() {
        return (long) counter.count();
    }
}
