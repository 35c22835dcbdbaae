package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Snapshot;

import java.util.ArrayList;

/**
 * Cluster state → snapshot + the status of every object. Pure: no client, no clock, no
 * randomness; the same input gives the same snapshot bytes.
 *
 * <p>Ordered steps over one context (upstreams, services, consumers, routes), each reading
 * what earlier steps accepted. One bad object is reported on its own status and left out; it
 * never blocks the rest.
 */
public final class Translator {
    private Translator() {
    }

    public static Translation translate(ClusterState state) {
        TranslationContext ctx = new TranslationContext();
        UpstreamStep.run(state, ctx);
        ServiceStep.run(state, ctx);
        ConsumerStep.run(state, ctx);
        RouteStep.run(state, ctx);
        Snapshot snapshot = new Snapshot(0, new ArrayList<>(ctx.services.values()), ctx.routes,
                new ArrayList<>(ctx.upstreams.values()), new ArrayList<>(ctx.consumers.values()));
        var problems = snapshot.validate();
        if (!problems.isEmpty()) {
            // The steps check everything validate() does; reaching here is a translator bug.
            throw new IllegalStateException("translator produced an invalid snapshot: " + problems);
        }
        return new Translation(snapshot, ctx.statuses());
    }
}
