package dev.gatehouse.config;

import java.util.List;
import java.util.Objects;

/**
 * One immutable, versioned configuration: everything a proxy needs to route, authenticate and
 * balance. Plain data, no Kubernetes and no Netty types; JSON via {@link SnapshotCodec}.
 *
 * <p>Lists are sorted by id by the translator, so the same input gives the same bytes and the
 * same {@link SnapshotCodec#contentHash(Snapshot) content hash}. Routes keep the translator's
 * order, which is the final tie-break of the router (oldest creation, then namespace/name).
 *
 * @param version   monotonically increasing per controller; not part of the content hash
 * @param services  where matched requests go
 * @param routes    which requests match
 * @param upstreams target pools; every service points at one (a {@code url} service at one of its own)
 * @param consumers API clients and the digests of their keys
 * @param certificates what the TLS port serves, by SNI name; sorted by id
 */
public record Snapshot(long version, List<Service> services, List<Route> routes,
                       List<Upstream> upstreams, List<Consumer> consumers, List<Certificate> certificates) {
    public static final Snapshot EMPTY = new Snapshot(0, List.of(), List.of(), List.of(), List.of());

    public Snapshot {
        services = List.copyOf(Objects.requireNonNullElse(services, List.of()));
        routes = List.copyOf(Objects.requireNonNullElse(routes, List.of()));
        upstreams = List.copyOf(Objects.requireNonNullElse(upstreams, List.of()));
        consumers = List.copyOf(Objects.requireNonNullElse(consumers, List.of()));
        certificates = List.copyOf(Objects.requireNonNullElse(certificates, List.of()));
    }

    /** A snapshot without certificates (the TLS port serves nothing). */
    public Snapshot(long version, List<Service> services, List<Route> routes, List<Upstream> upstreams,
                    List<Consumer> consumers) {
        this(version, services, routes, upstreams, consumers, List.of());
    }

    public Snapshot withVersion(long newVersion) {
        return new Snapshot(newVersion, services, routes, upstreams, consumers, certificates);
    }

    /** Every problem of this snapshot, each with its path; empty when it is valid. */
    public List<Problem> validate() {
        return SnapshotValidator.validate(this);
    }
}
