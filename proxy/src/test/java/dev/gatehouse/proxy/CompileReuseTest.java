package dev.gatehouse.proxy;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.proxy.balance.TargetState;
import dev.gatehouse.proxy.balance.UpstreamState;
import dev.gatehouse.proxy.forward.CompiledRoute;
import dev.gatehouse.proxy.forward.CompiledSnapshot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.gatehouse.proxy.Fixtures.consumer;
import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A snapshot compiled from the one before reuses what did not change (routes, their regexes and
 * key-auth, balancers with their Maglev tables) and serves, through a real proxy to real
 * backends, exactly as the same snapshot compiled from scratch by another proxy does.
 */
class CompileReuseTest {
    private static final Route.KeyAuth KEY_AUTH = new Route.KeyAuth(List.of(), true, false, false, null);
    private final List<AutoCloseable> closing = new ArrayList<>();
    private Backend a;
    private Backend b;
    private Backend c;
    private ProxyServer proxy;

    @BeforeEach
    void start() throws Exception {
        a = open(new Backend("a"));
        b = open(new Backend("b"));
        c = open(new Backend("c"));
        proxy = open(ProxyServer.start(Fixtures.oneLoopConfig()));
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    private <T extends AutoCloseable> T open(T t) {
        closing.add(t);
        return t;
    }

    private Upstream.Target target(Backend backend) {
        return new Upstream.Target("127.0.0.1", backend.port(), Upstream.Target.DEFAULT_WEIGHT);
    }

    /**
     * Round robin over {@code rr}; a Maglev hash on {@code x-user} over a, b and c; least
     * connections over a and b. Routes: {@code /rr}, a regex route, {@code /hash}, {@code /lc}, and
     * {@code /key} with key-auth; 50 routes {@code /filler-N} beside them.
     */
    private Snapshot snapshot(long version, String regex, List<Backend> rr, String key) {
        List<Upstream> upstreams = List.of(
                Fixtures.upstream("default/u-rr", rr.stream().map(this::target).toList()),
                new Upstream("default/u-hash", Fixtures.source("Upstream", "default/u-hash"), Upstream.Algorithm.CONSISTENT_HASH,
                        new Upstream.HashOn(Upstream.HashSource.HEADER, "x-user"), null,
                        List.of(target(a), target(b), target(c)), null, 0),
                new Upstream("default/u-lc", Fixtures.source("Upstream", "default/u-lc"), Upstream.Algorithm.LEAST_CONNECTIONS,
                        null, null, List.of(target(a), target(b)), null, 0));
        List<Route> routes = new ArrayList<>(List.of(
                route("default/rr", "default/s-rr").paths("/rr").build(),
                route("default/regex", "default/s-hash").paths(regex).build(),
                route("default/hash", "default/s-hash").paths("/hash").build(),
                route("default/lc", "default/s-lc").paths("/lc").build(),
                route("default/key", "default/s-hash").paths("/key").keyAuth(KEY_AUTH).build()));
        for (int i = 0; i < 50; i++) {
            routes.add(route("default/filler-" + i, "default/s-lc").paths("/filler-" + i).build());
        }
        List<Consumer> consumers = List.of(consumer("default/alice", "alice", key));
        return Fixtures.snapshot(version, List.of(service("default/s-rr", "default/u-rr"), service("default/s-hash", "default/u-hash"),
                service("default/s-lc", "default/u-lc")), routes, upstreams, consumers);
    }

    private CompiledRoute compiled(ProxyServer p, String route) {
        return p.compiled().router().destination(route);
    }

    @Test
    void anEditReusesWhatDidNotChangeAndServesAsAFreshCompile() throws Exception {
        assertThat(proxy.apply(snapshot(1, "~/users/\\d+$", List.of(a, b), "key-one"))).isEmpty();
        Map<String, Integer> first = backends(proxy, "/rr", 4);
        assertThat(first).isEqualTo(Map.of("a", 2, "b", 2));
        UpstreamState rr = proxy.balancers().upstreams().get("default/u-rr");
        TargetState stateOfA = rr.find("127.0.0.1:" + a.port());
        long requestsOfA = stateOfA.requests();
        CompiledSnapshot before = proxy.compiled();
        for (int i = 0; i < 3; i++) {
            assertThat(TestClient.get(proxy.port(), "/filler-7").status()).isEqualTo(200);
        }
        awaitRequests("default/filler-7", 3);

        // one regex route edited, round robin's targets changed (b out, c in); the rest equal
        Snapshot edited = snapshot(2, "~/members/\\d+$", List.of(a, c), "key-one");
        assertThat(proxy.apply(edited)).isEmpty();
        CompiledSnapshot after = proxy.compiled();
        for (String same : List.of("default/hash", "default/lc", "default/key", "default/filler-0", "default/filler-49")) {
            assertThat(after.router().destination(same)).as(same).isSameAs(before.router().destination(same));
        }
        assertThat(compiled(proxy, "default/hash").targets()).as("the Maglev balancer").isSameAs(before.router().destination("default/hash").targets());
        assertThat(compiled(proxy, "default/regex")).isNotSameAs(before.router().destination("default/regex"));
        assertThat(compiled(proxy, "default/rr")).isNotSameAs(before.router().destination("default/rr"));
        assertThat(compiled(proxy, "default/rr").targets()).isNotSameAs(before.router().destination("default/rr").targets());
        assertThat(rr.find("127.0.0.1:" + a.port())).as("the state of a target that stays").isSameAs(stateOfA);
        assertThat(rr.find("127.0.0.1:" + b.port())).as("a target that left").isNull();
        assertThat(inFlightGauge("default/u-rr", c)).as("a new target's gauge").isNotNull();
        assertThat(inFlightGauge("default/u-rr", b)).as("a gone target's gauge").isNull();
        assertThat(inFlightGauge("default/u-hash", b)).as("the gauges of a reused balancer stay").isNotNull();
        assertThat(TestClient.get(proxy.port(), "/filler-7").status()).isEqualTo(200);
        awaitRequests("default/filler-7", 4); // a reused route's series stayed registered, and counts on

        try (ProxyServer fresh = ProxyServer.start(Fixtures.oneLoopConfig())) {
            assertThat(fresh.apply(edited)).isEmpty();
            assertThat(compiled(fresh, "default/hash")).isNotSameAs(compiled(proxy, "default/hash"));
            for (ProxyServer p : List.of(proxy, fresh)) {
                assertThat(TestClient.get(p.port(), "/users/12").status()).as("the old regex").isEqualTo(404);
                assertThat(TestClient.get(p.port(), "/key").status()).isEqualTo(401);
                assertThat(TestClient.get(p.port(), "/key", "apikey", "key-one").status()).isEqualTo(200);
                assertThat(TestClient.get(p.port(), "/filler-7").status()).isEqualTo(200);
            }
            for (int user = 0; user < 30; user++) {
                String[] h = {"x-user", "user-" + user};
                TestClient.Response reused = TestClient.get(proxy.port(), "/members/" + user, h);
                TestClient.Response compiledFresh = TestClient.get(fresh.port(), "/members/" + user, h);
                assertThat(reused.status()).isEqualTo(200);
                assertThat(reused.header("x-backend")).as("user-%d's target", user).isEqualTo(compiledFresh.header("x-backend"));
                assertThat(TestClient.get(proxy.port(), "/hash", h).header("x-backend"))
                        .isEqualTo(TestClient.get(fresh.port(), "/hash", h).header("x-backend"));
            }
            assertThat(backends(proxy, "/rr", 4)).isEqualTo(Map.of("a", 2, "c", 2));
            assertThat(backends(fresh, "/rr", 4)).isEqualTo(Map.of("a", 2, "c", 2));
        }
        assertThat(stateOfA.requests()).as("a's counts go on").isEqualTo(requestsOfA + 2);
    }

    @Test
    void changedConsumersRecompileNoRouteAndTheNewKeyIsServed() throws Exception {
        assertThat(proxy.apply(snapshot(1, "~/users/\\d+$", List.of(a, b), "key-one"))).isEmpty();
        CompiledSnapshot before = proxy.compiled();
        assertThat(proxy.apply(snapshot(2, "~/users/\\d+$", List.of(a, b), "key-two"))).isEmpty();
        assertThat(compiled(proxy, "default/key")).as("key-auth reads the serving snapshot's keys")
                .isSameAs(before.router().destination("default/key"));
        assertThat(compiled(proxy, "default/hash")).isSameAs(before.router().destination("default/hash"));
        assertThat(compiled(proxy, "default/rr")).as("its upstream unchanged").isSameAs(before.router().destination("default/rr"));
        assertThat(TestClient.get(proxy.port(), "/key", "apikey", "key-one").status()).isEqualTo(401);
        assertThat(TestClient.get(proxy.port(), "/key", "apikey", "key-two").status()).isEqualTo(200);
    }

    @Test
    void theSameSnapshotAgainReusesEveryRoute() throws Exception {
        assertThat(proxy.apply(snapshot(1, "~/users/\\d+$", List.of(a, b), "key-one"))).isEmpty();
        CompiledSnapshot before = proxy.compiled();
        assertThat(proxy.apply(snapshot(2, "~/users/\\d+$", List.of(a, b), "key-one"))).isEmpty();
        for (Route r : proxy.current().routes()) {
            assertThat(compiled(proxy, r.id())).as(r.id()).isSameAs(before.router().destination(r.id()));
        }
        assertThat(TestClient.get(proxy.port(), "/users/3").status()).isEqualTo(200);
        assertThat(TestClient.get(proxy.port(), "/lc").status()).isEqualTo(200);
    }

    private io.micrometer.core.instrument.Gauge inFlightGauge(String upstream, Backend target) {
        return proxy.metrics().registry().find("gatehouse.upstream.target.in.flight")
                .tags("upstream", upstream, "target", "127.0.0.1:" + target.port()).gauge();
    }

    /** Waits (bounded) for the 2xx count of {@code route}: a request is counted as its answer ends. */
    private void awaitRequests(String route, double count) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        while (true) {
            io.micrometer.core.instrument.Counter counter = proxy.metrics().registry().find("gatehouse.requests")
                    .tags("route", route, "status_class", "2xx").counter();
            double now = counter == null ? -1 : counter.count();
            if (now == count) {
                return;
            }
            assertThat(System.nanoTime()).as("%s counted %s requests (now %s)", route, count, now).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    /** Which backend answered each of {@code n} requests to {@code path}, counted. */
    private static Map<String, Integer> backends(ProxyServer p, String path, int n) throws Exception {
        Map<String, Integer> out = new HashMap<>();
        for (int i = 0; i < n; i++) {
            TestClient.Response r = TestClient.get(p.port(), path);
            assertThat(r.status()).as(path).isEqualTo(200);
            out.merge(r.header("x-backend"), 1, Integer::sum);
        }
        return out;
    }
}
