package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Snapshot;

import java.util.List;

/**
 * The result of one translation: the snapshot (version 0; the caller versions it), the status of
 * every input object, sorted by kind, namespace and name, and what became of the default
 * certificate (null when none is configured), which has no object of its own to report on.
 */
public record Translation(Snapshot snapshot, List<ObjectStatus> statuses, DefaultCertificate defaultCertificate) {
    public Translation {
        statuses = List.copyOf(statuses);
    }

    public Translation(Snapshot snapshot, List<ObjectStatus> statuses) {
        this(snapshot, statuses, null);
    }

    /** The objects refused (Accepted=False) and so left out of the snapshot. */
    public List<ObjectStatus> rejected() {
        return statuses.stream().filter(s -> !s.accepted()).toList();
    }
}
