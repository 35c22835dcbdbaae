package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Snapshot;

import java.util.ArrayList;

/**
 * Cluster state → snapshot + the status of every object. Pure: no client, no clock (the time
 * certificates are checked against comes in {@link TlsSettings}), no randomness; the same input
 * gives the same snapshot bytes.
 *
 * <p>Ordered steps over one context (upstreams, services, consumers, routes, then the standard
 * inputs: Ingresses, then the certificates those routes name), each reading what earlier steps accepted. A step for another source (Gateway
 * API) sits beside the Ingress one: it adds routes, services and upstreams of its own ids. One bad object is reported on its own status and left out; it
 * never blocks the rest.
 */
public final class Translator {
    private Translator() {
    }

    /** Translates with the default Ingress class, {@code gatehouse}, and no default certificate. */
    public static Translation translate(ClusterState state, TlsSettings tls) {
        return translate(state, IngressSelection.DEFAULT, tls);
    }

    /**
     * @param ingress which Ingresses are Gatehouse's ({@code --ingress-class})
     * @param tls     the default certificate and the time certificates are checked against
     */
    public static Translation translate(ClusterState state, IngressSelection ingress, TlsSettings tls) {
        TranslationContext ctx = new TranslationContext();
        UpstreamStep.run(state, ctx);
        ServiceStep.run(state, ctx);
        ConsumerStep.run(state, ctx);
        RouteStep.run(state, ctx);
        IngressStep.run(state, ingress, ctx);
        CertificateStep.run(state, tls, ctx);
        Snapshot snapshot = new Snapshot(0, new ArrayList<>(ctx.services.values()), ctx.routes,
                new ArrayList<>(ctx.upstreams.values()), new ArrayList<>(ctx.consumers.values()),
                new ArrayList<>(ctx.certificates.values()));
        var problems = snapshot.validate();
        if (!problems.isEmpty()) {
            // The steps check everything validate() does; reaching here is a translator bug.
            throw new IllegalStateException("translator produced an invalid snapshot: " + problems);
        }
        return new Translation(snapshot, ctx.statuses(), ctx.defaultCertificate);
    }
}
