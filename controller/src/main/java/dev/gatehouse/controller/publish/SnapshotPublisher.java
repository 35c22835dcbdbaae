package dev.gatehouse.controller.publish;

import dev.gatehouse.config.Snapshot;

/** Where a new snapshot goes: the channel server in a cluster, an in-process proxy in local mode. */
@FunctionalInterface
public interface SnapshotPublisher {
    void publish(Snapshot snapshot);
}
