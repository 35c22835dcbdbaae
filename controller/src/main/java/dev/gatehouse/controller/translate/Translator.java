package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Snapshot;

import java.util.ArrayList;

/**
 * Cluster state → snapshot + the status of every object. Pure: no client, no clock, no
 * randomness; the same input gives the same snapshot bytes.
 *
 * <p>Ordered steps over one context (upstreams, services, consumers, routes, then the standard
 * inputs: Ingresses, then the Gateway API), each reading what earlier steps accepted; the standard
 * inputs add routes, services and upstreams of their own ids. One bad object is reported on its
 * own status and left out; it never blocks the rest.
 */
public final class Translator {
    private Translator() {
    }

    /** Translates with the default Ingress class, {@code gatehouse}. */
    public static Translation translate(ClusterState state) {
        return translate(state, IngressSelection.DEFAULT);
    }

    /**
     * @param ingress which Ingresses are Gatehouse's ({@code --ingress-class})
     */
    public static Translation translate(ClusterState state, IngressSelection ingress) {
        return translate(state, ingress, GatewaySelection.DEFAULT);
    }

    /**
     * @param ingress which Ingresses are Gatehouse's ({@code --ingress-class})
     * @param gateway which GatewayClasses are Gatehouse's, and the proxy's HTTP port for their listeners
     */
    public static Translation translate(ClusterState state, IngressSelection ingress, GatewaySelection gateway) {
        TranslationContext ctx = new TranslationContext();
        UpstreamStep.run(state, ctx);
        ServiceStep.run(state, ctx);
        ConsumerStep.run(state, ctx);
        RouteStep.run(state, ctx);
        IngressStep.run(state, ingress, ctx);
        GatewayApiStatus gatewayApi = GatewayStep.run(state, gateway, ctx);
        Snapshot snapshot = new Snapshot(0, new ArrayList<>(ctx.services.values()), ctx.routes,
                new ArrayList<>(ctx.upstreams.values()), new ArrayList<>(ctx.consumers.values()));
        var problems = snapshot.validate();
        if (!problems.isEmpty()) {
            // The steps check everything validate() does; reaching here is a translator bug.
            throw new IllegalStateException("translator produced an invalid snapshot: " + problems);
        }
        return new Translation(snapshot, ctx.statuses(), ctx.ingressTls, gatewayApi);
    }
}
