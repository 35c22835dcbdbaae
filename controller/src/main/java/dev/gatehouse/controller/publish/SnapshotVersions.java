package dev.gatehouse.controller.publish;

import dev.gatehouse.config.ContentHash;
import dev.gatehouse.config.Snapshot;

import java.util.function.LongSupplier;

/**
 * Numbers snapshots and drops unchanged ones. A version is {@code max(previous + 1, now in ms)}:
 * increasing within a run and, because it follows the clock, across controller restarts and
 * leader changes, so a proxy never sees a version go backwards. A snapshot whose content hash
 * equals the last one gets no version and is not published.
 *
 * <p>The hash is {@link ContentHash}'s, made from the last snapshot's per-object digests: an object
 * that is the same instance as in the last snapshot (an incremental translation keeps them) is not
 * serialised again, so the cost follows the change.
 */
public final class SnapshotVersions {
    private final LongSupplier clock;
    private long version;
    private String hash;
    private ContentHash.Digests digests;
    /** The content hashes of the last {@value #REMEMBERED} versions → the newest version that had each, oldest first. */
    private final java.util.LinkedHashMap<String, Long> recent = new java.util.LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<String, Long> eldest) {
            return size() > REMEMBERED;
        }
    };

    /**
     * How many recent versions' content hashes are kept for {@link #versionOf}: a proxy of another
     * replica whose content is older than that counts as not having acknowledged anything newer
     * (Pending) until its replica catches up. 1 024 versions is minutes of a rollout's changes.
     */
    public static final int REMEMBERED = 1024;

    public SnapshotVersions(LongSupplier clock) {
        this.clock = clock;
    }

    /** @return the versioned snapshot, or null when its content equals the last one */
    public synchronized Snapshot next(Snapshot unversioned) {
        ContentHash.Digests d = ContentHash.of(unversioned, digests);
        String h = d.hash();
        digests = d;
        if (h.equals(hash)) {
            return null;
        }
        hash = h;
        version = Math.max(version + 1, clock.getAsLong());
        recent.remove(h); // back to earlier content: the newest version is the one that counts
        recent.put(h, version);
        return unversioned.withVersion(version);
    }

    /**
     * The newest of the last {@value #REMEMBERED} versions whose content hash is {@code hash}; 0
     * when none was (content this controller never published, or published longer ago).
     */
    public synchronized long versionOf(String hash) {
        Long v = hash == null ? null : recent.get(hash);
        return v == null ? 0 : v;
    }

    public synchronized long version() {
        return version;
    }

    /**
     * The content hash of the snapshot last returned by {@link #next}: computed once here and
     * handed on with it ({@link SnapshotPublisher#publish(Snapshot, String)}), so no one computes it again.
     */
    public synchronized String lastHash() {
        return hash;
    }
}
