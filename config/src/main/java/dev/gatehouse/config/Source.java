package dev.gatehouse.config;

import java.util.Objects;

/**
 * The object a snapshot part was made from. A proxy keys its NACK errors by {@code uid} and
 * {@code generation} so the controller can name exactly the objects at fault.
 *
 * @param kind       the custom resource kind, e.g. {@code GatewayRoute}
 * @param namespace  the object's namespace
 * @param name       the object's name
 * @param uid        {@code metadata.uid}; in local mode a stable id derived from namespace and name
 * @param generation {@code metadata.generation}; 0 when the source has none (local mode)
 */
public record Source(String kind, String namespace, String name, String uid, long generation) {
    public Source {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(uid, "uid");
    }

    /** {@code Kind/namespace/name}, the form used in every message. */
    public String display() {
        return kind + "/" + namespace + "/" + name;
    }

    /** {@code namespace/name}, the key that references between objects resolve to. */
    public String key() {
        return namespace + "/" + name;
    }
}
