package dev.gatehouse.proxy.auth;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.KeyDigest;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Every consumer key of a snapshot by namespace and digest, built when the snapshot is compiled.
 * A lookup by the digest of the presented key gives a candidate; {@link KeyDigest#matches} then
 * confirms it in constant time.
 */
public final class Credentials {
    /** A consumer and the credential that authenticated it. */
    public record Holder(Consumer consumer, Consumer.Credential credential) {
    }

    private final Map<String, Map<KeyDigest, Holder>> byNamespace;
    private final Map<String, Consumer> byId;

    private Credentials(Map<String, Map<KeyDigest, Holder>> byNamespace, Map<String, Consumer> byId) {
        this.byNamespace = byNamespace;
        this.byId = byId;
    }

    public static Credentials of(List<Consumer> consumers) {
        Map<String, Map<KeyDigest, Holder>> byNamespace = new HashMap<>();
        Map<String, Consumer> byId = new HashMap<>();
        for (Consumer c : consumers) {
            byId.put(c.id(), c);
            Map<KeyDigest, Holder> keys = byNamespace.computeIfAbsent(c.namespace(), ns -> new HashMap<>());
            for (Consumer.Credential cred : c.credentials()) {
                keys.putIfAbsent(cred.digest(), new Holder(c, cred));
            }
        }
        return new Credentials(Map.copyOf(byNamespace), Map.copyOf(byId));
    }

    /** The consumer of {@code namespace} holding the key with this digest, or null. */
    public Holder find(String namespace, KeyDigest presented) {
        return find(byNamespace.get(namespace), presented);
    }

    /** The keys of {@code namespace} (empty when it has none), resolved once when a route compiles. */
    Map<KeyDigest, Holder> namespace(String namespace) {
        return byNamespace.getOrDefault(namespace, Map.of());
    }

    /** The holder of the key with this digest among {@code keys} ({@link #namespace}), or null. */
    static Holder find(Map<KeyDigest, Holder> keys, KeyDigest presented) {
        Holder candidate = keys == null ? null : keys.get(presented);
        return candidate != null && candidate.credential().digest().matches(presented) ? candidate : null;
    }

    public Consumer consumer(String id) {
        return id == null ? null : byId.get(id);
    }
}
