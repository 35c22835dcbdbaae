package dev.gatehouse.controller.translate;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.ReferenceGrant;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ReferenceGrantFrom;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ReferenceGrantTo;

import java.util.List;
import java.util.Objects;

/**
 * Cross-namespace references as the Gateway API allows them: a reference from an object in one
 * namespace to an object in another is permitted only when a ReferenceGrant in the target's
 * namespace names the source's group, kind and namespace in {@code from}, and the target's group,
 * kind and (when given) name in {@code to}. A reference within one namespace needs none.
 * Used for HTTPRoute backendRefs to Services and Gateway listener certificateRefs to Secrets
 * ({@link ListenerCertificates}).
 */
final class ReferenceGrants {
    static final String GATEWAY_GROUP = "gateway.networking.k8s.io";

    private ReferenceGrants() {
    }

    /**
     * @param fromGroup the referring object's API group, e.g. {@code gateway.networking.k8s.io}
     * @param toGroup   the target's group, {@code ""} for the core group (Service, Secret)
     */
    static boolean permits(GatewayApiState state, String fromGroup, String fromKind, String fromNamespace,
                           String toGroup, String toKind, String toNamespace, String toName) {
        if (fromNamespace.equals(toNamespace)) {
            return true;
        }
        for (ReferenceGrant g : state.referenceGrants()) {
            if (!Sources.namespace(g).equals(toNamespace) || g.getSpec() == null) {
                continue;
            }
            boolean from = Objects.requireNonNullElse(g.getSpec().getFrom(), List.<ReferenceGrantFrom>of()).stream()
                    .anyMatch(f -> group(f.getGroup()).equals(fromGroup) && fromKind.equals(f.getKind())
                            && fromNamespace.equals(f.getNamespace()));
            if (!from) {
                continue;
            }
            boolean to = Objects.requireNonNullElse(g.getSpec().getTo(), List.<ReferenceGrantTo>of()).stream()
                    .anyMatch(t -> group(t.getGroup()).equals(toGroup) && toKind.equals(t.getKind())
                            && (t.getName() == null || t.getName().isEmpty() || t.getName().equals(toName)));
            if (to) {
                return true;
            }
        }
        return false;
    }

    private static String group(String g) {
        return g == null ? "" : g;
    }
}
