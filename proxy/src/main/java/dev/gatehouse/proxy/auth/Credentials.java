package dev.gatehouse.proxy.auth;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.KeyDigest;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every consumer key of a snapshot by namespace and digest, built when the snapshot is compiled.
 * A lookup by the digest of the presented key gives a candidate; {@link KeyDigest#matches} then
 * confirms it in constant time.
 *
 * <p>Immutable. An object delta that changes some consumers makes the next one with
 * {@link #patched}: only the namespaces of those consumers are copied, so a key change costs the
 * size of its namespace, not every consumer's keys hashed again. Validation guarantees a digest is
 * claimed at most once per namespace, so the order consumers are added in does not matter.
 *
 * <p>A route's key-auth does not look its namespace up per request: it holds the namespace's
 * {@link Namespace} handle, resolved once when the route is compiled from the {@link Namespaces}
 * registry of the proxy's compiled snapshots, and every {@code Credentials} made with that registry
 * keeps its namespaces' keys in an array at the handles' slots. A request's lookup is an array
 * read and the digest's map lookup; a consumer change makes new credentials (a new array at the
 * same slots), which the next snapshot serves to the very same routes: no route compiles again.
 */
public final class Credentials {
    /** A consumer and the credential that authenticated it. */
    public record Holder(Consumer consumer, Consumer.Credential credential) {
    }

    /**
     * A namespace's place in every {@code Credentials} made with its {@link Namespaces} registry: one
     * per namespace name in that registry, which belongs to one proxy's chain of compiled snapshots.
     */
    public static final class Namespace {
        private final Namespaces owner;
        private final String name;
        private final int slot;

        Namespace(Namespaces owner, String name, int slot) {
            this.owner = owner;
            this.name = name;
            this.slot = slot;
        }

        public String name() {
            return name;
        }

        @Override
        public String toString() {
            return "Namespace(" + name + ")";
        }
    }

    private final Namespaces namespaces;
    private final Map<String, Map<KeyDigest, Holder>> byNamespace;
    /** {@link #byNamespace} at its namespaces' {@link Namespace#slot}s in {@link #namespaces}; null at the others. */
    private final Map<KeyDigest, Holder>[] bySlot;
    private final Map<String, Consumer> byId;

    private Credentials(Namespaces namespaces, Map<String, Map<KeyDigest, Holder>> byNamespace, Map<String, Consumer> byId) {
        this.namespaces = namespaces;
        this.byNamespace = byNamespace;
        this.byId = byId;
        this.bySlot = slots(namespaces, byNamespace);
    }

    @SuppressWarnings("unchecked")
    private static Map<KeyDigest, Holder>[] slots(Namespaces namespaces, Map<String, Map<KeyDigest, Holder>> byNamespace) {
        Map<KeyDigest, Holder>[] out = new Map[0];
        for (Map.Entry<String, Map<KeyDigest, Holder>> e : byNamespace.entrySet()) {
            int slot = namespaces.handle(e.getKey()).slot;
            if (slot >= out.length) {
                out = Arrays.copyOf(out, slot + 1);
            }
            out[slot] = e.getValue();
        }
        return out;
    }

    /** The keys of {@code consumers}, with a registry of their own (tests, benchmarks: nothing compiled shares it). */
    public static Credentials of(List<Consumer> consumers) {
        return of(consumers, new Namespaces());
    }

    /** The keys of {@code consumers}, at the slots of {@code namespaces}: the registry of the snapshots they serve. */
    public static Credentials of(List<Consumer> consumers, Namespaces namespaces) {
        java.util.Objects.requireNonNull(namespaces, "namespaces");
        Map<String, Map<KeyDigest, Holder>> byNamespace = new HashMap<>();
        Map<String, Consumer> byId = new HashMap<>();
        for (Consumer c : consumers) {
            byId.put(c.id(), c);
            Map<KeyDigest, Holder> keys = byNamespace.computeIfAbsent(c.namespace(), ns -> new HashMap<>());
            for (Consumer.Credential cred : c.credentials()) {
                keys.putIfAbsent(cred.digest(), new Holder(c, cred));
            }
        }
        return new Credentials(namespaces, Map.copyOf(byNamespace), Map.copyOf(byId));
    }

    /**
     * These credentials with the consumers of ids {@code removed} gone and {@code put} added or
     * replacing the consumer of the same id; equal to {@link #of} over the resulting consumers.
     */
    public Credentials patched(Collection<Consumer> put, Collection<String> removed) {
        if (put.isEmpty() && removed.isEmpty()) {
            return this;
        }
        Map<String, Map<KeyDigest, Holder>> namespaces = new HashMap<>(byNamespace);
        Map<String, Consumer> ids = new HashMap<>(byId);
        Map<String, Map<KeyDigest, Holder>> copied = new HashMap<>();
        for (String id : removed) {
            drop(ids.remove(id), namespaces, copied);
        }
        for (Consumer c : put) {
            drop(ids.put(c.id(), c), namespaces, copied);
            Map<KeyDigest, Holder> keys = writable(c.namespace(), namespaces, copied);
            for (Consumer.Credential cred : c.credentials()) {
                keys.putIfAbsent(cred.digest(), new Holder(c, cred));
            }
        }
        copied.forEach((ns, keys) -> {
            if (keys.isEmpty()) {
                namespaces.remove(ns);
            } else {
                namespaces.put(ns, Map.copyOf(keys));
            }
        });
        return new Credentials(this.namespaces, Map.copyOf(namespaces), Map.copyOf(ids));
    }

    /** Removes the keys {@code gone} (null: none) holds, where it is still their holder. */
    private static void drop(Consumer gone, Map<String, Map<KeyDigest, Holder>> namespaces,
                             Map<String, Map<KeyDigest, Holder>> copied) {
        if (gone == null) {
            return;
        }
        Map<KeyDigest, Holder> keys = writable(gone.namespace(), namespaces, copied);
        for (Consumer.Credential cred : gone.credentials()) {
            Holder h = keys.get(cred.digest());
            if (h != null && h.consumer().id().equals(gone.id())) {
                keys.remove(cred.digest());
            }
        }
    }

    /** The keys of {@code namespace}, copied once per patch so the map being replaced stays as it is. */
    private static Map<KeyDigest, Holder> writable(String namespace, Map<String, Map<KeyDigest, Holder>> namespaces,
                                                   Map<String, Map<KeyDigest, Holder>> copied) {
        return copied.computeIfAbsent(namespace, ns -> new HashMap<>(namespaces.getOrDefault(ns, Map.of())));
    }

    /** The consumer of {@code namespace} holding the key with this digest, or null. */
    public Holder find(String namespace, KeyDigest presented) {
        return find(byNamespace.get(namespace), presented);
    }

    /**
     * As {@link #find(String, KeyDigest)} by the namespace's handle: no lookup by name. A handle of
     * another registry (a key-auth compiled for another proxy) is looked up by its name: its slot
     * means nothing here.
     */
    public Holder find(Namespace namespace, KeyDigest presented) {
        if (namespace.owner != namespaces) {
            return find(namespace.name, presented);
        }
        int slot = namespace.slot;
        return find(slot < bySlot.length ? bySlot[slot] : null, presented);
    }

    /** The holder of the key with this digest among {@code keys} (one namespace's), or null. */
    private static Holder find(Map<KeyDigest, Holder> keys, KeyDigest presented) {
        Holder candidate = keys == null ? null : keys.get(presented);
        return candidate != null && candidate.credential().digest().matches(presented) ? candidate : null;
    }

    /** The registry whose handles index these credentials, taken over by {@link #patched}. */
    public Namespaces namespaces() {
        return namespaces;
    }

    public Consumer consumer(String id) {
        return id == null ? null : byId.get(id);
    }
}
