package dev.gatehouse.controller.channel;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.KeyDigest;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.Source;
import dev.gatehouse.config.Upstream;

import java.util.ArrayList;
import java.util.List;

/**
 * Snapshots of the shapes bench/scale applies (one namespace; every 20th route with a regex path,
 * every 10th with key-auth; ten routes per host), built as the translator would output them,
 * for the channel's figures at the full size.
 */
final class ScaleSnapshots {
    private ScaleSnapshots() {
    }

    static Source source(String kind, String name, long generation) {
        return new Source(kind, "default", name, "uid-" + kind + "-" + name, generation);
    }

    static Route route(int k, int services, long generation) {
        List<String> paths = k % 20 == 0 ? List.of("/p" + k, "~/r" + k + "/\\d+$") : List.of("/p" + k);
        Route.KeyAuth keyAuth = k % 10 == 0 ? new Route.KeyAuth(null, true, false, true, null) : null;
        return new Route("default/r-" + k, source("GatewayRoute", "r-" + k, generation), "default/gs-" + (k % services),
                List.of("h" + (k / 10) + ".example.com"), paths, List.of(), null, true, false, 0, keyAuth);
    }

    /** {@code services} services, {@code routes} routes, {@code upstreams} upstreams holding {@code endpoints} targets, {@code consumers} consumers. */
    static Snapshot of(long version, int services, int routes, int upstreams, int endpoints, int consumers) {
        List<Upstream> us = new ArrayList<>();
        int n = 0;
        for (int i = 0; i < upstreams; i++) {
            List<Upstream.Target> targets = new ArrayList<>();
            int count = endpoints / upstreams + (i < endpoints % upstreams ? 1 : 0);
            for (int t = 0; t < count; t++, n++) {
                targets.add(new Upstream.Target("10." + (n >> 16 & 255) + "." + (n >> 8 & 255) + "." + (n & 255), 8080, 100));
            }
            us.add(new Upstream("default/u-" + i, source("Upstream", "u-" + i, 1), Upstream.Algorithm.ROUND_ROBIN, null, null,
                    targets, null, 0));
        }
        List<Service> ss = new ArrayList<>();
        for (int j = 0; j < services; j++) {
            ss.add(new Service("default/gs-" + j, source("GatewayService", "gs-" + j, 1), "default/u-" + (j % upstreams),
                    Service.Protocol.HTTP, "/", null, 0, Service.Timeouts.DEFAULT));
        }
        List<Route> rs = new ArrayList<>();
        for (int k = 0; k < routes; k++) {
            rs.add(route(k, services, 1));
        }
        List<Consumer> cs = new ArrayList<>();
        for (int m = 0; m < consumers; m++) {
            cs.add(new Consumer("default/c-" + m, source("Consumer", "c-" + m, 1), "user-" + m, null,
                    List.of(new Consumer.Credential("uid-key-" + m, KeyDigest.of("bench-key-" + m)))));
        }
        return new Snapshot(version, ss, sortById(rs), us.stream().sorted(java.util.Comparator.comparing(Upstream::id)).toList(),
                cs.stream().sorted(java.util.Comparator.comparing(Consumer::id)).toList());
    }

    private static List<Route> sortById(List<Route> routes) {
        return routes.stream().sorted(java.util.Comparator.comparing(Route::id)).toList();
    }

    /** {@code base} with route {@code default/r-k} edited (another path), every other object the same instance. */
    static Snapshot withRouteEdited(Snapshot base, long version, int k, String newPath) {
        List<Route> routes = new ArrayList<>(base.routes());
        for (int i = 0; i < routes.size(); i++) {
            Route r = routes.get(i);
            if (r.id().equals("default/r-" + k)) {
                routes.set(i, new Route(r.id(), source("GatewayRoute", "r-" + k, r.source().generation() + 1), r.service(),
                        r.hosts(), List.of(newPath), r.methods(), r.headers(), r.stripPath(), r.preserveHost(), r.priority(),
                        r.keyAuth()));
            }
        }
        return new Snapshot(version, base.services(), routes, base.upstreams(), base.consumers(), base.certificates());
    }
}
