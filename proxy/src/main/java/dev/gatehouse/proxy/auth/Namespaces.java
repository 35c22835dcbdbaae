package dev.gatehouse.proxy.auth;

import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The namespace handles of one proxy's compiled snapshots: one {@link Credentials.Namespace} per
 * namespace name, each with its slot in every {@link Credentials} made with this registry.
 *
 * <p>Owned by a chain of compiled snapshots, not the process: a compile from scratch starts a
 * registry of its own, and each compile after it (a full snapshot or a delta) takes over its
 * previous snapshot's, so routes kept across snapshots keep their handles valid. Two proxies in
 * one JVM (tests, {@code local} mode) therefore never share handles, and a proxy's registry goes
 * with it. Within a chain handles are never dropped: there are as many as namespaces ever compiled
 * into it (routes with key-auth and consumers), which a key-auth lookup never walks.
 *
 * <p>Thread-safe; handles are made at compile time, never per request.
 */
public final class Namespaces {
    private final Map<String, Credentials.Namespace> handles = new ConcurrentHashMap<>();

    /** The handle of {@code namespace} in this registry, the same object for the same name; made on first use. */
    public Credentials.Namespace handle(String namespace) {
        Objects.requireNonNull(namespace, "namespace");
        Credentials.Namespace ns = handles.get(namespace);
        if (ns != null) {
            return ns;
        }
        synchronized (handles) {
            return handles.computeIfAbsent(namespace, n -> new Credentials.Namespace(this, n, handles.size()));
        }
    }

    /** How many handles this registry has made. */
    public int size() {
        return handles.size();
    }
}
