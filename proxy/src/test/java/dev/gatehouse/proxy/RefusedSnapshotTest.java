package dev.gatehouse.proxy;

import dev.gatehouse.config.Problem;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.Upstream;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A snapshot the proxy refuses leaves no trace: balancer weights, targets, counters, ejections
 * and upstreams stay as the serving snapshot left them, and so does what requests see. A good
 * snapshot after it still carries the state of targets that stay.
 */
class RefusedSnapshotTest extends ProxyTestBase {
    private static final Upstream.HealthChecks EJECT_AT_ONCE =
            new Upstream.HealthChecks(null, new Upstream.Passive(1, 60_000, 50));

    private static Upstream upstream(String id, Upstream.Target... targets) {
        return new Upstream(id, Fixtures.source("Upstream", id), Upstream.Algorithm.ROUND_ROBIN, null, null,
                List.of(targets), EJECT_AT_ONCE, 0);
    }

    private static Upstream.Target target(int port, int weight) {
        return new Upstream.Target("127.0.0.1", port, weight);
    }

    private static Snapshot snapshot(long version, List<Upstream> upstreams, Route... extra) {
        List<Route> routes = new ArrayList<>(List.of(route("default/r", "default/s").paths("/").build()));
        routes.addAll(List.of(extra));
        return Fixtures.snapshot(version, List.of(service("default/s", "default/u")), routes, upstreams, List.of());
    }

    /** What /upstreams shows, without the figures that move with the clock (EWMA, time left ejected). */
    private List<Map<String, Object>> upstreams() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> u : proxy.balancers().describe()) {
            Map<String, Object> m = new LinkedHashMap<>(u);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> targets = (List<Map<String, Object>>) u.get("targets");
            m.put("targets", targets.stream().map(t -> {
                Map<String, Object> tm = new LinkedHashMap<>(t);
                tm.remove("ewmaMillis");
                tm.remove("ejectedForMillis");
                return tm;
            }).toList());
            out.add(m);
        }
        return out;
    }

    private Map<String, Integer> spread(int n) throws IOException {
        Map<String, Integer> out = new HashMap<>();
        for (int i = 0; i < n; i++) {
            TestClient.Response r = TestClient.get(proxy.port(), "/");
            assertThat(r.status()).isEqualTo(200);
            out.merge(r.header("x-backend"), 1, Integer::sum);
        }
        return out;
    }

    private static int closedPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void aSnapshotRefusedAtCompileTimeLeavesTheLiveBalancersUntouched() throws Exception {
        Backend blue = backend("blue");
        Backend green = backend("green");
        Backend red = backend("red");
        int dead = closedPort();
        proxy = ProxyServer.start(Fixtures.config());
        assertThat(proxy.apply(snapshot(1, List.of(upstream("default/u",
                target(blue.port(), 100), target(green.port(), 100), target(dead, 100)))))).isEmpty();
        spread(6); // the dead target is tried once, ejected, and the request retried elsewhere
        List<Map<String, Object>> before = upstreams();
        assertThat(before.get(0).toString()).contains("127.0.0.1:" + dead + ", weight=100, health=EJECTED");

        // Valid as a snapshot, but its route cannot be compiled: two header conditions whose
        // names differ only in case (the router keys them lower case). The upstream changes
        // would drain blue, triple green, add red and a second upstream, were it applied.
        Route caseTwice = route("default/bad", "default/s").paths("/bad")
                .header("x-version", "v1").header("X-Version", "v2").build();
        Snapshot refused = snapshot(2, List.of(
                upstream("default/u", target(blue.port(), 0), target(green.port(), 300), target(red.port(), 100)),
                upstream("default/extra", target(red.port(), 100))), caseTwice);
        assertThat(refused.validate()).as("the test needs a snapshot that passes validate() and fails to compile").isEmpty();
        List<Problem> problems = proxy.apply(refused);
        assertThat(problems).singleElement().satisfies(p -> assertThat(p.message()).startsWith("cannot compile"));

        assertThat(proxy.current().version()).isEqualTo(1);
        assertThat(upstreams()).as("/upstreams after the refused snapshot").isEqualTo(before);
        assertThat(spread(6)).as("blue is not drained, red not added").containsOnly(Map.entry("blue", 3), Map.entry("green", 3));
        assertThat(red.seen).isEmpty();

        long blueRequests = proxy.balancers().upstreams().get("default/u").find("127.0.0.1:" + blue.port()).requests();
        assertThat(proxy.apply(snapshot(3, List.of(upstream("default/u",
                target(blue.port(), 100), target(dead, 100), target(red.port(), 100)))))).isEmpty();
        List<Map<String, Object>> after = upstreams();
        assertThat(after).hasSize(1);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> targets = (List<Map<String, Object>>) after.get(0).get("targets");
        assertThat(targets).extracting(t -> t.get("address"), t -> t.get("health"), t -> t.get("requests"))
                .as("blue and the dead target carried over, green gone, red new")
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("127.0.0.1:" + blue.port(), "HEALTHY", blueRequests),
                        org.assertj.core.groups.Tuple.tuple("127.0.0.1:" + dead, "EJECTED", 1L),
                        org.assertj.core.groups.Tuple.tuple("127.0.0.1:" + red.port(), "HEALTHY", 0L));
        assertThat(spread(4)).containsOnly(Map.entry("blue", 2), Map.entry("red", 2));
    }
}
