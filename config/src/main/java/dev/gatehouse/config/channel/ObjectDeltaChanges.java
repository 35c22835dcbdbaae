package dev.gatehouse.config.channel;

import dev.gatehouse.config.SnapshotIndex;

import java.util.HashSet;

/**
 * What an {@link ObjectDelta} changed, as {@link SnapshotIndex#validate} takes it: per kind, the
 * indexes of the objects put and the ids removed; null for the kinds it left alone.
 */
public final class ObjectDeltaChanges {
    private ObjectDeltaChanges() {
    }

    public static SnapshotIndex.Changes of(ObjectDelta delta) {
        return new SnapshotIndex.Changes(kind(delta.services()), kind(delta.routes()), kind(delta.upstreams()),
                kind(delta.consumers()), kind(delta.certificates()));
    }

    private static SnapshotIndex.Kind kind(ObjectDelta.Changes<?> changes) {
        if (changes == null) {
            return null;
        }
        return new SnapshotIndex.Kind(changes.put().stream().mapToInt(ObjectDelta.Put::at).toArray(),
                new HashSet<>(changes.removed()));
    }
}
