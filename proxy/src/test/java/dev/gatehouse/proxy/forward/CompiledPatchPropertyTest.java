package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.KeyDigest;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotIndex;
import dev.gatehouse.config.Source;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.config.channel.ObjectDelta;
import dev.gatehouse.config.channel.ObjectDeltaChanges;
import dev.gatehouse.config.channel.ObjectDiff;
import dev.gatehouse.proxy.Fixtures;
import dev.gatehouse.proxy.auth.KeyAuth;
import dev.gatehouse.proxy.auth.QueryParameters;
import dev.gatehouse.proxy.balance.BalancerPlan;
import dev.gatehouse.proxy.balance.Balancers;
import dev.gatehouse.proxy.balance.Peer;
import dev.gatehouse.proxy.balance.TargetSelector;
import dev.gatehouse.proxy.balance.UpstreamSelector;
import dev.gatehouse.proxy.observe.ProxyMetrics;
import dev.gatehouse.proxy.observe.RouteMetersFactory;
import dev.gatehouse.proxy.routing.RouteMatch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An object delta's compile ({@link CompiledPatch}) serves exactly as the whole snapshot compiled
 * from scratch, and keeps what it did not reach as the very same objects. Random runs of changes
 * (route added at any index, edited, removed, moved to another service or to host-less; service
 * moved to another upstream or given other retries; upstream targets or algorithm changed;
 * consumers added, removed or given a new key; key-auth toggled on a route), each diffed and
 * replayed by the real {@link ObjectDiff} and compiled with the real plans and meters, committed
 * as ProxyServer does. Checked after each step, for every host × path × key probe: the route
 * matched, its service, the targets (peers and weights) its selector picks from and the balancer's
 * kind, and key-auth's outcome (accepted, consumer, message) against the serving credentials;
 * then that every upstream the delta did not put keeps the very selector and balancer (its
 * targets' health and connection state with them), every service it did not put the very retry
 * budget, and every route it did not reach the very compiled route (matcher, regexes, meters);
 * and that the series registered (retry and target in-flight gauges) are those a proxy that
 * compiled the snapshot whole would have.
 */
class CompiledPatchPropertyTest {
    private static final int UPSTREAMS = 3;
    private static final int SERVICES = 4;
    private static final List<String> NAMESPACES = List.of("default", "team");
    private static final List<String> HOSTS = List.of("a.example", "b.example");
    private static final List<String> PATHS = List.of("/p0", "/p1", "/p2", "/p3", "/r7/12");
    private static final List<String> ADDRESSES = List.of("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4");

    enum Op { ADD_ROUTE, EDIT_ROUTE, REMOVE_ROUTE, ROUTE_SERVICE, SERVICE_UPSTREAM, SERVICE_RETRIES, TARGETS, ALGORITHM,
        ADD_CONSUMER, REMOVE_CONSUMER, CONSUMER_KEY, TOGGLE_KEY_AUTH }

    record Change(Op op, int a, int b) {
    }

    @Provide
    Arbitrary<List<List<Change>>> runs() {
        Arbitrary<Change> change = Combinators.combine(Arbitraries.of(Op.class), Arbitraries.integers().between(0, 99),
                Arbitraries.integers().between(0, 99)).as(Change::new);
        return change.list().ofMinSize(1).ofMaxSize(3).list().ofMinSize(1).ofMaxSize(15);
    }

    @Property(tries = 100)
    void aDeltasCompileServesAsTheWholeSnapshotAndKeepsWhatItDidNotReach(@ForAll("runs") List<List<Change>> steps) {
        Model model = new Model();
        Balancers balancers = new Balancers();
        RetryBudgets budgets = new RetryBudgets();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ProxyMetrics metrics = new ProxyMetrics(registry);
        Snapshot current = model.snapshot(1);
        CompiledSnapshot served = apply(current, null, null, balancers, budgets, metrics);
        for (List<Change> step : steps) {
            step.forEach(model::apply);
            Snapshot wanted = model.snapshot(current.version() + 1);
            ObjectDelta delta = ObjectDiff.between(current, current.version(), "base", wanted, "next", null, 1.0);
            if (delta == null || wanted.withVersion(0).equals(current.withVersion(0))) {
                continue;
            }
            Snapshot next = ObjectDiff.apply(current, delta);
            assertThat(next.validate()).as("every snapshot of the run is valid").isEmpty();
            SnapshotIndex.Changes changes = ObjectDeltaChanges.of(delta);
            CompiledSnapshot patched = apply(next, served, changes, balancers, budgets, metrics);
            assertThat(serving(patched)).isEqualTo(serving(CompiledSnapshot.compile(next)));
            SimpleMeterRegistry fresh = new SimpleMeterRegistry();
            apply(next, null, null, new Balancers(), new RetryBudgets(), new ProxyMetrics(fresh));
            assertThat(series(registry)).as("series registered").isEqualTo(series(fresh));
            kept(served, patched, changes, next);
            served = patched;
            current = next;
        }
    }

    private static CompiledSnapshot apply(Snapshot snapshot, CompiledSnapshot previous, SnapshotIndex.Changes changes,
                                          Balancers balancers, RetryBudgets budgets, ProxyMetrics metrics) {
        RouteMetersFactory meters = metrics.factory();
        BalancerPlan plan = balancers.plan();
        RetryBudgets.Plan budgetPlan = budgets.plan();
        CompiledSnapshot compiled = CompiledSnapshot.compile(snapshot, meters, plan, budgetPlan, previous, "hash", changes);
        balancers.commit(plan);
        budgets.commit(budgetPlan);
        meters.commit();
        return compiled;
    }

    /** Every series registered (name and tags), sorted; a compile registers the retry and target in-flight gauges. */
    private static List<String> series(SimpleMeterRegistry registry) {
        return registry.getMeters().stream().map(m -> m.getId().getName() + m.getId().getTags()).sorted().toList();
    }

    /** What requests get: per host × path × key, the route, service, targets and key-auth outcome. */
    private static Map<String, String> serving(CompiledSnapshot compiled) {
        Map<String, String> out = new TreeMap<>();
        List<String> keys = new ArrayList<>();
        keys.add(null);
        for (int k = 0; k < 6; k++) {
            keys.add(key(k, 0));
            keys.add(key(k, 1));
        }
        for (String host : HOSTS) {
            for (String path : PATHS) {
                RouteMatch<CompiledRoute> m = compiled.router().match(host, "GET", path, new DefaultHttpHeaders());
                String where = host + path;
                if (m == null) {
                    out.put(where, "no route");
                    continue;
                }
                CompiledRoute c = m.destination();
                out.put(where, c.route().id() + " -> " + (c.service() == null ? "unresolved" : c.service().id() + " upstream="
                        + c.service().upstream() + " retries=" + c.service().retries() + " " + targets(c.targets())));
                KeyAuth auth = c.keyAuth();
                if (auth == null) {
                    continue;
                }
                for (String key : keys) {
                    DefaultHttpHeaders headers = new DefaultHttpHeaders();
                    if (key != null) {
                        headers.add("apikey", key);
                    }
                    KeyAuth.Outcome o = auth.authenticate(headers, new QueryParameters(null), compiled.credentials());
                    out.put(where + " key=" + key, o.accepted() ? "consumer " + o.consumer().id() + " " + o.credentialId() : "401 " + o.message());
                }
            }
        }
        return out;
    }

    private static String targets(TargetSelector selector) {
        TargetSelector pinned = selector.pin();
        List<String> peers = new ArrayList<>();
        for (Peer p : pinned.peers()) {
            peers.add(p.key() + "*" + p.weight());
        }
        return pinned.getClass().getSimpleName() + " " + peers;
    }

    /** What the delta did not reach is the very same object as before. */
    private static void kept(CompiledSnapshot before, CompiledSnapshot after, SnapshotIndex.Changes changes, Snapshot next) {
        Set<String> putUpstreams = ids(changes.upstreams(), next.upstreams().stream().map(Upstream::id).toList());
        Set<String> putServices = ids(changes.services(), next.services().stream().map(Service::id).toList());
        Set<String> putRoutes = ids(changes.routes(), next.routes().stream().map(Route::id).toList());
        for (Upstream u : next.upstreams()) {
            if (!putUpstreams.contains(u.id())) {
                TargetSelector was = before.index.selectors.get(u.id());
                assertThat(after.index.selectors.get(u.id())).as("selector of %s", u.id()).isSameAs(was);
                assertThat(((UpstreamSelector) after.index.selectors.get(u.id())).current()).as("balancer of %s", u.id())
                        .isSameAs(((UpstreamSelector) was).current());
            }
        }
        for (Route r : next.routes()) {
            CompiledRoute was = before.router().destination(r.id());
            CompiledRoute now = after.router().destination(r.id());
            Service svc = r.service() == null ? null : after.index.services.get(r.service());
            boolean reached = putRoutes.contains(r.id()) || (r.service() != null && putServices.contains(r.service()))
                    || (svc != null && putUpstreams.contains(svc.upstream())) || (was != null && was.service() != null
                    && !was.service().equals(svc));
            if (!reached && was != null) {
                assertThat(now).as("compiled route %s", r.id()).isSameAs(was);
                if (svc != null) {
                    assertThat(now.retryBudget()).as("retry budget of %s", svc.id()).isSameAs(was.retryBudget());
                }
            }
        }
    }

    /** Ids of the objects a kind's changes put (none when the kind did not change). */
    private static Set<String> ids(SnapshotIndex.Kind kind, List<String> ids) {
        Set<String> out = new HashSet<>();
        if (kind != null) {
            for (int i : kind.put()) {
                out.add(ids.get(i));
            }
        }
        return out;
    }

    private static String key(int consumer, int generation) {
        return "key-" + consumer + "-" + generation;
    }

    /** The translated configuration, changed in place; unchanged objects stay the same instances. */
    private static final class Model {
        final List<Route> routes = new ArrayList<>();
        final List<Service> services = new ArrayList<>();
        final List<Upstream> upstreams = new ArrayList<>();
        final Map<Integer, Consumer> consumers = new TreeMap<>();
        final Map<Integer, Integer> keyGeneration = new HashMap<>();
        int next;

        Model() {
            for (int i = 0; i < UPSTREAMS; i++) {
                upstreams.add(upstream(i, Upstream.Algorithm.ROUND_ROBIN, List.of(new Upstream.Target(ADDRESSES.get(i), 80, 100))));
            }
            for (int i = 0; i < SERVICES; i++) {
                services.add(Fixtures.service("default/s" + i, "default/u" + (i % UPSTREAMS), "/", 1, Service.Timeouts.DEFAULT));
            }
            for (int i = 0; i < 4; i++) {
                routes.add(route(next++, i, i, i % 2 == 0));
            }
            for (int k = 0; k < 3; k++) {
                consumers.put(k, consumer(k, 0));
            }
        }

        static Upstream upstream(int i, Upstream.Algorithm algorithm, List<Upstream.Target> targets) {
            return new Upstream("default/u" + i, Fixtures.source("Upstream", "default/u" + i), algorithm, null, null, targets, null, 0);
        }

        /** Route {@code n} of namespace n mod 2, on a host (or none), a path (every 5th a regex), maybe with key-auth. */
        static Route route(int n, int service, int shape, boolean keyAuth) {
            String id = NAMESPACES.get(n % 2) + "/r" + n;
            Fixtures.RouteBuilder b = Fixtures.route(id, "default/s" + (service % SERVICES))
                    .paths(shape % 5 == 4 ? "~/r7/\\d+$" : "/p" + (shape % 4));
            if (shape % 3 != 2) {
                b.hosts(HOSTS.get(shape % 3 % HOSTS.size()));
            }
            if (keyAuth) {
                b.keyAuth(new Route.KeyAuth(null, true, false, false, null));
            }
            return b.build();
        }

        static Consumer consumer(int k, int generation) {
            String ns = NAMESPACES.get(k % 2);
            return new Consumer(ns + "/c" + k, new Source("Consumer", ns, "c" + k, "uid-c" + k, 1), "user" + k, null,
                    List.of(new Consumer.Credential("cred-" + k + "-" + generation, KeyDigest.of(key(k, generation)))));
        }

        void apply(Change c) {
            int i = routes.isEmpty() ? 0 : c.a() % routes.size();
            switch (c.op()) {
                case ADD_ROUTE -> routes.add(c.a() % (routes.size() + 1), route(next++, c.b(), c.b() / 7, c.b() % 2 == 0));
                case EDIT_ROUTE -> {
                    Route r = routes.get(i);
                    routes.set(i, rebuilt(r, r.service(), c.b(), r.keyAuth() != null));
                }
                case REMOVE_ROUTE -> {
                    if (routes.size() > 1) {
                        routes.remove(i);
                    }
                }
                case ROUTE_SERVICE -> {
                    Route r = routes.get(i);
                    routes.set(i, Fixtures.route(r.id(), "default/s" + (c.b() % SERVICES)).hosts(r.hosts().toArray(String[]::new))
                            .paths(r.paths().toArray(String[]::new)).keyAuth(r.keyAuth()).build());
                }
                case SERVICE_UPSTREAM, SERVICE_RETRIES -> {
                    int s = c.a() % SERVICES;
                    Service was = services.get(s);
                    String upstream = c.op() == Op.SERVICE_UPSTREAM ? "default/u" + (c.b() % UPSTREAMS) : was.upstream();
                    int retries = c.op() == Op.SERVICE_RETRIES ? c.b() % 4 : was.retries();
                    services.set(s, Fixtures.service(was.id(), upstream, "/", retries, Service.Timeouts.DEFAULT));
                }
                case TARGETS -> {
                    int u = c.a() % UPSTREAMS;
                    List<Upstream.Target> targets = new ArrayList<>();
                    for (int h = 0; h < ADDRESSES.size(); h++) {
                        if ((c.b() >> h & 1) == 1) {
                            targets.add(new Upstream.Target(ADDRESSES.get(h), 80, h == 0 ? 1 : 100));
                        }
                    }
                    upstreams.set(u, upstream(u, upstreams.get(u).algorithm(), targets));
                }
                case ALGORITHM -> {
                    int u = c.a() % UPSTREAMS;
                    Upstream.Algorithm algorithm = c.b() % 2 == 0 ? Upstream.Algorithm.ROUND_ROBIN : Upstream.Algorithm.LEAST_CONNECTIONS;
                    upstreams.set(u, upstream(u, algorithm, upstreams.get(u).targets()));
                }
                case ADD_CONSUMER -> consumers.putIfAbsent(c.a() % 6, consumer(c.a() % 6, keyGeneration.getOrDefault(c.a() % 6, 0)));
                case REMOVE_CONSUMER -> consumers.remove(c.a() % 6);
                case CONSUMER_KEY -> {
                    int k = c.a() % 6;
                    if (consumers.containsKey(k)) {
                        int g = 1 - keyGeneration.getOrDefault(k, 0);
                        keyGeneration.put(k, g);
                        consumers.put(k, consumer(k, g));
                    }
                }
                case TOGGLE_KEY_AUTH -> {
                    Route r = routes.get(i);
                    routes.set(i, Fixtures.route(r.id(), r.service()).hosts(r.hosts().toArray(String[]::new))
                            .paths(r.paths().toArray(String[]::new))
                            .keyAuth(r.keyAuth() == null ? new Route.KeyAuth(null, true, false, false, null) : null).build());
                }
            }
        }

        /** Route {@code r} with its host and path shaped by {@code shape}, same id, service and key-auth. */
        private Route rebuilt(Route r, String service, int shape, boolean keyAuth) {
            int n = Integer.parseInt(r.id().substring(r.id().indexOf("/r") + 2));
            Route shaped = route(n, 0, shape, keyAuth);
            return Fixtures.route(r.id(), service).hosts(shaped.hosts().toArray(String[]::new))
                    .paths(shaped.paths().toArray(String[]::new)).keyAuth(shaped.keyAuth()).build();
        }

        Snapshot snapshot(long version) {
            List<Consumer> sorted = new ArrayList<>(consumers.values());
            sorted.sort(java.util.Comparator.comparing(Consumer::id));
            return new Snapshot(version, services, routes, upstreams, sorted);
        }
    }
}
