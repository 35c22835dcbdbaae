package dev.gatehouse.bench;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.Source;
import dev.gatehouse.proxy.routing.RouteMatch;
import dev.gatehouse.proxy.routing.Router;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Router lookup for one request at 10, 1 000 and 10 000 routes. The routes are hosts × prefixes ×
 * regexes: one host per 10 routes ({@code svcN.example.com}), and of each host's 10 routes, 8
 * prefix paths ({@code /api/vK/items}), one exact and one regex ({@code ~/users/K/\d+$}). Requests
 * cycle through 64 that hit a prefix, an exact path, a regex, a longer path under a prefix, and
 * an unknown host (404), spread over all hosts, so the lookup is not one cached branch.
 */
@State(Scope.Thread)
public class RouterBench {
    @Param({"10", "1000", "10000"})
    public int routes;

    private Router<String> router;
    private String[] hosts;
    private String[] paths;
    private final HttpHeaders headers = new DefaultHttpHeaders();
    private int next;

    @Setup
    public void setUp() {
        List<Route> list = new ArrayList<>(routes);
        int hostCount = Math.max(1, routes / 10);
        for (int i = 0; i < routes; i++) {
            int host = i % hostCount;
            int k = i / hostCount;
            String path = switch (k % 10) {
                case 8 -> Route.EXACT + "/exact/" + k;
                case 9 -> Route.REGEX + "/users/" + k + "/\\d+$";
                default -> "/api/v" + k + "/items";
            };
            String id = "bench/r" + i;
            list.add(new Route(id, new Source("GatewayRoute", "bench", "r" + i, "uid-" + i, 1), "bench/s",
                    List.of("svc" + host + ".example.com"), List.of(path), List.of(), Map.of(), true, false, 0, null));
        }
        router = Router.compile(list, Route::id);
        hosts = new String[64];
        paths = new String[64];
        for (int j = 0; j < 64; j++) {
            int host = (j * 7919) % hostCount;
            int perHost = Math.max(1, routes / hostCount);
            int k = j % perHost;
            hosts[j] = j % 16 == 15 ? "unknown" + j + ".example.org" : "svc" + host + ".example.com";
            paths[j] = switch (k % 10) {
                case 8 -> "/exact/" + k;
                case 9 -> "/users/" + k + "/12345";
                default -> j % 2 == 0 ? "/api/v" + k + "/items" : "/api/v" + k + "/items/42/detail";
            };
        }
    }

    @Benchmark
    public RouteMatch<String> match() {
        int j = next++ & 63;
        return router.match(hosts[j], "GET", paths[j], headers);
    }
}
