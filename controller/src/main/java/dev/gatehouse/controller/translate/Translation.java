package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Snapshot;

import java.util.List;

/**
 * The result of one translation: the snapshot (version 0; the caller versions it), the status of
 * every input object, sorted by kind, namespace and name, what became of the default certificate
 * (null when none is configured), which has no object of its own to report on, and the status of
 * the Gateway API objects that are Gatehouse's.
 */
public record Translation(Snapshot snapshot, List<ObjectStatus> statuses, DefaultCertificate defaultCertificate,
                          GatewayApiStatus gatewayApi) {
    public Translation {
        statuses = List.copyOf(statuses);
        gatewayApi = java.util.Objects.requireNonNullElse(gatewayApi, GatewayApiStatus.EMPTY);
    }

    /** A translation without Gateway API objects. */
    public Translation(Snapshot snapshot, List<ObjectStatus> statuses, DefaultCertificate defaultCertificate) {
        this(snapshot, statuses, defaultCertificate, GatewayApiStatus.EMPTY);
    }

    public Translation(Snapshot snapshot, List<ObjectStatus> statuses) {
        this(snapshot, statuses, null);
    }

    /**
     * True when some TLS Secret was refused ({@link Reason#InvalidCertificateRef}): one not valid
     * yet becomes valid with time alone, so its owner translates again on the certificate recheck.
     */
    public boolean certificateRefused() {
        return statuses.stream().anyMatch(s -> s.warnings().stream().anyMatch(w -> w.reason() == Reason.InvalidCertificateRef));
    }

    /** The objects refused (Accepted=False) and so left out of the snapshot. */
    public List<ObjectStatus> rejected() {
        return statuses.stream().filter(s -> !s.accepted()).toList();
    }
}
