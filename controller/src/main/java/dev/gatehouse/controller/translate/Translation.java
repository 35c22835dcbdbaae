package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Snapshot;

import java.util.List;

/**
 * The result of one translation: the snapshot (version 0; the caller versions it), the
 * status of every input object, sorted by kind, namespace and name, and what Ingresses ask of
 * TLS (recorded for TLS termination, which is not built yet), and the status of the Gateway API objects
 * that are Gatehouse's.
 */
public record Translation(Snapshot snapshot, List<ObjectStatus> statuses, List<IngressTls> ingressTls,
                          GatewayApiStatus gatewayApi) {
    public Translation {
        statuses = List.copyOf(statuses);
        ingressTls = List.copyOf(ingressTls);
        gatewayApi = java.util.Objects.requireNonNullElse(gatewayApi, GatewayApiStatus.EMPTY);
    }

    /** A translation without Gateway API objects. */
    public Translation(Snapshot snapshot, List<ObjectStatus> statuses, List<IngressTls> ingressTls) {
        this(snapshot, statuses, ingressTls, GatewayApiStatus.EMPTY);
    }

    public Translation(Snapshot snapshot, List<ObjectStatus> statuses) {
        this(snapshot, statuses, List.of());
    }

    /** The objects refused (Accepted=False) and so left out of the snapshot. */
    public List<ObjectStatus> rejected() {
        return statuses.stream().filter(s -> !s.accepted()).toList();
    }
}
