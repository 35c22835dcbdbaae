package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Snapshot;

import java.util.List;

/**
 * The result of one translation: the snapshot (version 0; the caller versions it), the
 * status of every input object, sorted by kind, namespace and name, and what Ingresses ask of
 * TLS (recorded for TLS termination, which is not built yet).
 */
public record Translation(Snapshot snapshot, List<ObjectStatus> statuses, List<IngressTls> ingressTls) {
    public Translation {
        statuses = List.copyOf(statuses);
        ingressTls = List.copyOf(ingressTls);
    }

    public Translation(Snapshot snapshot, List<ObjectStatus> statuses) {
        this(snapshot, statuses, List.of());
    }

    /** The objects refused (Accepted=False) and so left out of the snapshot. */
    public List<ObjectStatus> rejected() {
        return statuses.stream().filter(s -> !s.accepted()).toList();
    }
}
