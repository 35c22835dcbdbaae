package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Snapshot;

import java.util.List;

/**
 * The result of one translation: the snapshot (version 0; the caller versions it) and the
 * status of every input object, sorted by kind, namespace and name.
 */
public record Translation(Snapshot snapshot, List<ObjectStatus> statuses) {
    public Translation {
        statuses = List.copyOf(statuses);
    }

    /** The objects refused (Accepted=False) and so left out of the snapshot. */
    public List<ObjectStatus> rejected() {
        return statuses.stream().filter(s -> !s.accepted()).toList();
    }
}
