package dev.gatehouse.controller.publish;

import dev.gatehouse.config.Snapshot;

/** Where a new snapshot goes: the channel server in a cluster, an in-process proxy in local mode. */
@FunctionalInterface
public interface SnapshotPublisher {
    void publish(Snapshot snapshot);

    /**
     * As {@link #publish(Snapshot)}, with the snapshot's content hash as {@link SnapshotVersions#lastHash()}
     * gave it; a publisher that sends hashes uses it instead of computing it again.
     */
    default void publish(Snapshot snapshot, String contentHash) {
        publish(snapshot);
    }
}
