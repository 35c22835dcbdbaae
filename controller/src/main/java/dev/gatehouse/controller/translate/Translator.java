package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Snapshot;

import java.time.Instant;
import java.util.ArrayList;

/**
 * Cluster state → snapshot + the status of every object. Pure: no client, no clock (the time
 * certificates are checked against comes in {@link TlsSettings}), no randomness; the same input
 * gives the same snapshot bytes.
 *
 * <p>Ordered steps over one context (upstreams, services, consumers, routes, then the standard
 * inputs: Ingresses, then the Gateway API, then the certificates the routes name), each reading what earlier steps accepted; the standard
 * inputs add routes, services and upstreams of their own ids. One bad object is reported on its
 * own status and left out; it never blocks the rest.
 */
public final class Translator {
    private Translator() {
    }

    /** Translates with the default Ingress class and GatewayClass controller, no default certificate, certificates checked now. */
    public static Translation translate(ClusterState state) {
        return translate(state, IngressSelection.DEFAULT);
    }

    /** As {@link #translate(ClusterState, IngressSelection, GatewaySelection, TlsSettings)}, no default certificate, checked now. */
    public static Translation translate(ClusterState state, IngressSelection ingress) {
        return translate(state, ingress, GatewaySelection.DEFAULT);
    }

    /** As {@link #translate(ClusterState, IngressSelection, GatewaySelection, TlsSettings)}, no default certificate, checked now. */
    public static Translation translate(ClusterState state, IngressSelection ingress, GatewaySelection gateway) {
        return translate(state, ingress, gateway, new TlsSettings(null, Instant.now()));
    }

    /** Translates with the default Ingress class and GatewayClass controller. */
    public static Translation translate(ClusterState state, TlsSettings tls) {
        return translate(state, IngressSelection.DEFAULT, tls);
    }

    /** Translates with the default GatewayClass controller. */
    public static Translation translate(ClusterState state, IngressSelection ingress, TlsSettings tls) {
        return translate(state, ingress, GatewaySelection.DEFAULT, tls);
    }

    /**
     * @param ingress which Ingresses are Gatehouse's ({@code --ingress-class})
     * @param gateway which GatewayClasses are Gatehouse's, and the proxy's HTTP port for their listeners
     * @param tls     the default certificate and the time certificates are checked against
     */
    public static Translation translate(ClusterState state, IngressSelection ingress, GatewaySelection gateway, TlsSettings tls) {
        return run(state, ingress, gateway, tls, new TranslationContext(), true);
    }

    /**
     * The steps over {@code ctx}, which may carry the outcomes of earlier translations to reuse
     * ({@link IncrementalTranslator}). {@code validate}: check the snapshot as the proxy will; an
     * incremental translation leaves it to the full translations it is compared with.
     */
    static Translation run(ClusterState state, IngressSelection ingress, GatewaySelection gateway, TlsSettings tls,
                           TranslationContext ctx, boolean validate) {
        UpstreamStep.run(state, ctx);
        GatewayStep.Outcome gatewayApi;
        if (ctx.memo != null) {
            state.alsoAskedInto(ctx.servicesReadLater);
        }
        try {
            ServiceStep.run(state, ctx);
            ConsumerStep.run(state, ctx);
            RouteStep.run(state, ctx);
            IngressStep.run(state, ingress, ctx);
            gatewayApi = GatewayStep.run(state, gateway, tls, ctx);
            CertificateStep.run(state, tls, ctx);
        } finally {
            if (ctx.memo != null) {
                state.alsoAskedInto(null);
            }
        }
        Snapshot snapshot = new Snapshot(0, new ArrayList<>(ctx.services.values()), ctx.routes,
                new ArrayList<>(ctx.upstreams.values()), new ArrayList<>(ctx.consumers.values()),
                new ArrayList<>(ctx.certificates.values()));
        if (validate) {
            var problems = snapshot.validate();
            if (!problems.isEmpty()) {
                // The steps check everything validate() does; reaching here is a translator bug.
                throw new IllegalStateException("translator produced an invalid snapshot: " + problems);
            }
        }
        return new Translation(snapshot, ctx.statuses(), ctx.defaultCertificate, gatewayApi.status());
    }
}
