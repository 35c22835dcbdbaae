package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Source;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;

import java.nio.charset.StandardCharsets;
import java.util.Comparator;
import java.util.Objects;
import java.util.UUID;

/** Identity of input objects: namespace defaulting, stable ids in local mode, deterministic order. */
public final class Sources {
    public static final String DEFAULT_NAMESPACE = "default";

    /** Oldest creation first, then namespace, then name: the order of routes and of conflicts. */
    public static final Comparator<HasMetadata> CREATION_ORDER = Comparator
            .comparing((HasMetadata o) -> Objects.requireNonNullElse(o.getMetadata().getCreationTimestamp(), ""))
            .thenComparing(Sources::namespace)
            .thenComparing(o -> o.getMetadata().getName());

    public static final Comparator<HasMetadata> NAME_ORDER = Comparator
            .comparing(Sources::namespace).thenComparing(o -> o.getMetadata().getName());

    private Sources() {
    }

    public static String namespace(HasMetadata o) {
        String ns = o.getMetadata().getNamespace();
        return ns == null || ns.isEmpty() ? DEFAULT_NAMESPACE : ns;
    }

    public static String key(HasMetadata o) {
        return namespace(o) + "/" + o.getMetadata().getName();
    }

    /**
     * The object's source; an object without {@code metadata.uid} (local mode) gets a stable id
     * derived from kind, namespace and name, so a restart gives the same id.
     */
    public static Source of(HasMetadata o) {
        ObjectMeta m = o.getMetadata();
        String uid = m.getUid();
        if (uid == null || uid.isEmpty()) {
            uid = derivedUid(o.getKind(), namespace(o), m.getName());
        }
        long generation = m.getGeneration() == null ? 0 : m.getGeneration();
        return new Source(o.getKind(), namespace(o), m.getName(), uid, generation);
    }

    /**
     * Whether {@code b} translates as {@code a} does: the same object, or the same incarnation (uid)
     * and generation of one of Gatehouse's own kinds, of the same name and labels. The API server
     * bumps a custom resource's generation on every change of its spec; a status write (the
     * controller's own, 27 000 of them after a start at full size) changes its resourceVersion and
     * status only, neither of which is translated, and hands out a new Java object. Objects without
     * a uid or a generation (local mode's) are the same only when they are the same object.
     */
    public static boolean sameSpec(HasMetadata a, HasMetadata b) {
        if (a == b) {
            return true;
        }
        if (a == null || b == null || a.getClass() != b.getClass() || !(a instanceof dev.gatehouse.api.v1alpha1.Upstream
                || a instanceof dev.gatehouse.api.v1alpha1.GatewayService || a instanceof dev.gatehouse.api.v1alpha1.GatewayRoute
                || a instanceof dev.gatehouse.api.v1alpha1.Consumer)) {
            return false;
        }
        ObjectMeta x = a.getMetadata();
        ObjectMeta y = b.getMetadata();
        return x != null && y != null && x.getUid() != null && !x.getUid().isEmpty() && x.getUid().equals(y.getUid())
                && x.getGeneration() != null && x.getGeneration().equals(y.getGeneration())
                && Objects.equals(x.getName(), y.getName()) && namespace(a).equals(namespace(b))
                && Objects.equals(x.getLabels(), y.getLabels());
    }

    public static String derivedUid(String kind, String namespace, String name) {
        return UUID.nameUUIDFromBytes(("gatehouse.dev/" + kind + "/" + namespace + "/" + name)
                .getBytes(StandardCharsets.UTF_8)).toString();
    }
}
