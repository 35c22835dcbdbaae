package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotIndex;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.proxy.auth.Credentials;
import dev.gatehouse.proxy.auth.Namespaces;
import dev.gatehouse.proxy.balance.BalancerPlan;
import dev.gatehouse.proxy.observe.RouteMetersFactory;
import dev.gatehouse.proxy.routing.Router;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An object delta's compile: {@link CompiledSnapshot#compile} of the base's snapshot with the
 * delta replayed, touching only what the delta reaches, so a one-route edit at 10 000 routes
 * costs about one route, not a walk over every route, service and upstream.
 *
 * <ul>
 *   <li>upstreams put get a selector from the plan (its balancer kept or rebuilt as
 *       {@link BalancerPlan} decides); the others keep theirs, the very objects, with their
 *       balancers, health, connection state and Maglev tables, not even looked at;</li>
 *   <li>services put get their retry budget (the live counts while the limits stay) and gauge;</li>
 *   <li>routes compiled again: the routes put, and the routes naming a service put or removed or
 *       one whose upstream was put or removed ({@link ObjectIndex}); every other route keeps its
 *       compiled self and rank ({@link Router#patch}), regexes and meters included;</li>
 *   <li>consumers: the keys of the consumers put and removed patched into the credentials, which
 *       key-auth reads per request, so no route compiles again for a key change.</li>
 * </ul>
 * The plans are made the delta's ({@code keepUnplanned}, {@link RouteMetersFactory#patching}):
 * their commits forget what the delta removed and keep the rest without looking at it. When the
 * router cannot be patched (too many routes touched, no rank left), every route is offered again
 * as by a whole compile, with the same index and plans: the result is the same either way.
 */
final class CompiledPatch {
    private CompiledPatch() {
    }

    static CompiledSnapshot compile(Snapshot snapshot, RouteMetersFactory meters, BalancerPlan balancers,
                                    RetryBudgets.Plan budgets, CompiledSnapshot previous, String contentHash,
                                    SnapshotIndex.Changes changes) {
        ObjectIndex.Builder index = previous.index.next();
        meters.patching();
        Set<String> services = new HashSet<>(); // services put or removed, and those of upstreams put or removed
        SnapshotIndex.Kind upstreams = changes.upstreams();
        balancers.keepUnplanned(upstreams == null ? Set.of() : upstreams.removed());
        if (upstreams != null) {
            for (String id : upstreams.removed()) {
                index.removeSelector(id);
                meters.dropUpstream(id);
                services.addAll(previous.index.servicesOf(id));
            }
            for (int i : upstreams.put()) {
                Upstream u = snapshot.upstreams().get(i);
                index.selector(u.id(), balancers.selector(u));
                meters.dropUpstream(u.id());
                services.addAll(previous.index.servicesOf(u.id()));
            }
        }
        SnapshotIndex.Kind serviceChanges = changes.services();
        budgets.keepUnplanned(serviceChanges == null ? Set.of() : serviceChanges.removed());
        if (serviceChanges != null) {
            for (String id : serviceChanges.removed()) {
                index.removeService(id);
                meters.dropService(id);
                services.add(id);
            }
            for (int i : serviceChanges.put()) {
                Service s = snapshot.services().get(i);
                index.service(s);
                meters.dropService(s.id());
                RetryBudget budget = budgets.budget(s);
                meters.retriesInFlight(s.id(), budget, RetryBudget::retriesInFlight);
                services.add(s.id());
            }
        }
        Router<CompiledRoute> router = previous.router();
        Set<String> left = new HashSet<>(); // upstreams a touched route reached: their gauges go when no route does any more
        SnapshotIndex.Kind routes = changes.routes();
        int[] put = routes == null ? new int[0] : routes.put();
        Set<String> removed = routes == null ? Set.of() : routes.removed();
        for (String id : removed) {
            CompiledRoute before = router.destination(id);
            if (before != null) {
                index.route(id, before.route().service(), null);
                dropRoute(meters, before, left);
            }
        }
        for (int i : put) {
            Route r = snapshot.routes().get(i);
            CompiledRoute before = router.destination(r.id());
            index.route(r.id(), before == null ? null : before.route().service(), r.service());
            if (before != null) {
                dropRoute(meters, before, left);
            }
        }
        List<String> again = new ArrayList<>();
        for (String service : services) {
            for (String id : previous.index.routesOf(service)) {
                CompiledRoute before = router.destination(id);
                if (before != null) {
                    again.add(id);
                    dropRoute(meters, before, left);
                }
            }
        }
        Map<String, Service> byId = index.servicesNow();
        Map<String, dev.gatehouse.proxy.balance.TargetSelector> selectors = index.selectorsNow();
        Namespaces namespaces = previous.credentials.namespaces(); // the chain's handles, kept by the patched credentials
        Router<CompiledRoute> patched = Router.patch(snapshot.routes(), router, put, removed, again,
                (r, before) -> CompiledSnapshot.destination(r, before, byId, selectors, meters, budgets, namespaces));
        if (patched == null) {
            patched = Router.compile(snapshot.routes(), router,
                    (r, before) -> CompiledSnapshot.destination(r, before, byId, selectors, meters, budgets, namespaces));
        }
        SnapshotIndex.Kind consumers = changes.consumers();
        Credentials credentials = previous.credentials;
        if (consumers != null) {
            List<Consumer> putConsumers = new ArrayList<>(consumers.put().length);
            for (int i : consumers.put()) {
                putConsumers.add(snapshot.consumers().get(i));
            }
            credentials = credentials.patched(putConsumers, consumers.removed());
        }
        ObjectIndex next = index.build();
        for (String upstream : left) {
            if (!next.reached(upstream)) {
                meters.dropUpstream(upstream); // as a whole compile, which registers target gauges for reached upstreams alone
            }
        }
        return new CompiledSnapshot(snapshot, contentHash, patched, credentials, next);
    }

    /** {@code before}'s meters may go; so may its upstream's target gauges, when no route reaches it any more. */
    private static void dropRoute(RouteMetersFactory meters, CompiledRoute before, Set<String> left) {
        meters.dropRoute(before.meters());
        if (before.service() != null) {
            left.add(before.service().upstream());
        }
    }
}
