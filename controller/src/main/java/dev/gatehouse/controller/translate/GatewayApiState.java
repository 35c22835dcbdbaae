package dev.gatehouse.controller.translate;

import dev.gatehouse.api.v1alpha1.KeyAuthFilter;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ReferenceGrant;

import java.util.List;
import java.util.Objects;

/**
 * The Gateway API input (gateway.networking.k8s.io/v1, standard channel), every object of every
 * class: the translator picks the GatewayClasses whose {@code controllerName} is Gatehouse's.
 * Namespaces are here for {@code allowedRoutes.namespaces.from: Selector}, which selects them by
 * their labels. KeyAuthFilters (gatehouse.dev) are here because only HTTPRoute {@code ExtensionRef}
 * filters read them.
 */
public record GatewayApiState(List<GatewayClass> classes, List<Gateway> gateways, List<HTTPRoute> httpRoutes,
                              List<ReferenceGrant> referenceGrants, List<Namespace> namespaces,
                              List<KeyAuthFilter> keyAuthFilters) {
    public static final GatewayApiState EMPTY = new GatewayApiState(null, null, null, null, null, null);

    public GatewayApiState {
        classes = List.copyOf(Objects.requireNonNullElse(classes, List.of()));
        gateways = List.copyOf(Objects.requireNonNullElse(gateways, List.of()));
        httpRoutes = List.copyOf(Objects.requireNonNullElse(httpRoutes, List.of()));
        referenceGrants = List.copyOf(Objects.requireNonNullElse(referenceGrants, List.of()));
        namespaces = List.copyOf(Objects.requireNonNullElse(namespaces, List.of()));
        keyAuthFilters = List.copyOf(Objects.requireNonNullElse(keyAuthFilters, List.of()));
    }

    /** The state without KeyAuthFilters. */
    public GatewayApiState(List<GatewayClass> classes, List<Gateway> gateways, List<HTTPRoute> httpRoutes,
                           List<ReferenceGrant> referenceGrants, List<Namespace> namespaces) {
        this(classes, gateways, httpRoutes, referenceGrants, namespaces, null);
    }

    @Override
    public String toString() {
        return "GatewayApiState[classes=" + classes.size() + ", gateways=" + gateways.size() + ", httpRoutes="
                + httpRoutes.size() + ", referenceGrants=" + referenceGrants.size() + ", namespaces=" + namespaces.size()
                + ", keyAuthFilters=" + keyAuthFilters.size() + "]";
    }
}
