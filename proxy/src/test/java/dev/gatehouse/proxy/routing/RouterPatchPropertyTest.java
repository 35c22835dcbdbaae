package dev.gatehouse.proxy.routing;

import dev.gatehouse.config.Route;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.gatehouse.proxy.Fixtures.route;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A router compiled with the previous one (patched when few routes change, see {@link RouterPatch})
 * answers every request exactly as a router compiled from scratch: random route sets over a small
 * pool of hosts (exact, {@code *.} and {@code +.} wildcards, none), paths (prefixes, exact paths,
 * regexes, none), methods, headers, query conditions and priorities, so routes collide and the
 * tie-breaks (snapshot order last) decide; then random runs of edits, additions at any index,
 * removals, moves and destination changes (an equal route whose service or balancer changed).
 * After each step, every probe of (host, path, method, header, query) gets the same route,
 * destination and matched length from both; and the previous router, still serving, answers as
 * it did before the step (nothing it holds was changed by the patch).
 */
class RouterPatchPropertyTest {
    private static final String[] HOSTS = {"a.test", "b.a.test", "x.b.a.test", "*.a.test", "+.a.test", "*.b.a.test",
            "+.b.a.test", "c.test"};
    private static final String[] PATHS = {"/", "/a", "/a/b", "/ab", "=/a", "=/a/b", "=/", "~/a/\\d+", "~/a.*", "~/b",
            "/b/"};
    private static final String[] PROBE_HOSTS = {"a.test", "b.a.test", "x.b.a.test", "y.x.b.a.test", "q.a.test",
            "c.test", "d.test", "A.TEST:8080", null};
    private static final String[] PROBE_PATHS = {"/", "/a", "/a/", "/a/b", "/a/1", "/a/12x", "/ab", "/b", "/b/c",
            "/a/b/c", "/x", "/a;v=1"};

    private static final AtomicInteger PATCHED = new AtomicInteger();
    private static final AtomicInteger FROM_SCRATCH = new AtomicInteger();

    /** What a route resolves to; compared by identity by the router, by value by this test. */
    private record Dest(String routeId, int generation) {
    }

    /**
     * One probe's answer. The route by value: a route replaced by an equal one keeps the previous
     * router's compiled matcher, and so its instance, whether patched or not.
     */
    private record Answer(Route route, Dest destination, int matched) {
        @Override
        public String toString() {
            return route.id() + " " + destination + " matched=" + matched;
        }
    }

    @Property(tries = 200)
    void patchedRouterMatchesLikeOneCompiledFromScratch(@ForAll long seed) {
        Random random = new Random(seed);
        int[] nextId = {0};
        List<Route> routes = new ArrayList<>();
        int size = 4 + random.nextInt(30);
        for (int i = 0; i < size; i++) {
            routes.add(randomRoute(random, "default/r" + nextId[0]++));
        }
        Map<String, Integer> generations = new HashMap<>();
        Router<Dest> current = Router.compile(routes, r -> dest(r, generations));
        for (int step = 0; step < 12; step++) {
            List<Route> next = new ArrayList<>(routes);
            int changes = 1 + random.nextInt(random.nextInt(10) == 0 ? 12 : 3);
            for (int c = 0; c < changes; c++) {
                change(random, next, generations, nextId);
            }
            Map<String, Answer> before = probeAll(current);
            Router<Dest> patched = Router.compile(next, current, (r, previous) -> {
                Dest d = dest(r, generations);
                return d.equals(previous) ? previous : d;
            });
            (patched.patched ? PATCHED : FROM_SCRATCH).incrementAndGet();
            Router<Dest> fresh = Router.compile(next, r -> dest(r, generations));
            assertSameAnswers(probeAll(patched), probeAll(fresh), "step " + step + " of seed " + seed);
            assertSameAnswers(probeAll(current), before, "the previous router after step " + step + " of seed " + seed);
            for (Route r : next) {
                assertThat(patched.destination(r.id())).isEqualTo(fresh.destination(r.id()));
            }
            routes = next;
            current = patched;
        }
    }

    @AfterContainer
    static void bothWaysWereTaken() {
        assertThat(PATCHED.get()).as("steps patched").isGreaterThan(100);
        assertThat(FROM_SCRATCH.get()).as("steps compiled from scratch").isGreaterThan(10);
    }

    @Test
    void oneEditAmongManyIsAPatchThatKeepsTheOtherRoutesEntries() {
        List<Route> routes = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            routes.add(route("default/r" + i, "s").hosts("h" + (i % 5) + ".test").paths("/p" + i, "~/re" + i + "/\\d+").build());
        }
        Router<String> before = Router.compile(routes, Route::id);
        List<Route> edited = new ArrayList<>(routes);
        edited.set(7, route("default/r7", "s").hosts("h2.test").paths("/p7", "/moved").build());
        Router<String> after = Router.compile(edited, before, (r, previous) -> previous != null ? previous : r.id());
        assertThat(after.patched).isTrue();
        assertThat(after.exact.get("h1.test")).as("a bucket the edit did not touch").isSameAs(before.exact.get("h1.test"));
        assertThat(after.match("h2.test", "GET", "/moved", new DefaultHttpHeaders()).route().id()).isEqualTo("default/r7");
        assertThat(after.match("h2.test", "GET", "/re7/1", new DefaultHttpHeaders())).isNull();
        assertThat(before.match("h2.test", "GET", "/re7/1", new DefaultHttpHeaders()).route().id()).isEqualTo("default/r7");
    }

    private static Dest dest(Route r, Map<String, Integer> generations) {
        return new Dest(r.id(), generations.getOrDefault(r.id(), 0));
    }

    /** One random change of {@code routes}: add, remove, edit, move or re-destine one route. */
    private static void change(Random random, List<Route> routes, Map<String, Integer> generations, int[] nextId) {
        int kind = routes.isEmpty() ? 0 : random.nextInt(5);
        switch (kind) {
            case 0 -> routes.add(random.nextInt(routes.size() + 1), randomRoute(random, "default/r" + nextId[0]++));
            case 1 -> routes.remove(random.nextInt(routes.size()));
            case 2 -> {
                int i = random.nextInt(routes.size());
                routes.set(i, randomRoute(random, routes.get(i).id()));
            }
            case 3 -> routes.add(random.nextInt(routes.size()), routes.remove(random.nextInt(routes.size())));
            default -> generations.merge(routes.get(random.nextInt(routes.size())).id(), 1, Integer::sum);
        }
    }

    private static Route randomRoute(Random random, String id) {
        var b = route(id, "s");
        b.hosts(pick(random, HOSTS, random.nextInt(3)));
        b.paths(pick(random, PATHS, random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(2)));
        if (random.nextInt(3) == 0) {
            b.methods(random.nextBoolean() ? "GET" : "POST");
        }
        if (random.nextInt(4) == 0) {
            b.header("x-v", random.nextBoolean() ? "v1" : "v2");
        }
        if (random.nextInt(6) == 0) {
            b.query("q", "1", false);
        }
        return b.priority(random.nextInt(5) == 0 ? 1 : 0).build();
    }

    private static String[] pick(Random random, String[] pool, int count) {
        String[] out = new String[count];
        for (int i = 0; i < count; i++) {
            out[i] = pool[random.nextInt(pool.length)];
        }
        return out;
    }

    /** Names only the probes answered differently: a whole map of answers hides the one that matters. */
    private static void assertSameAnswers(Map<String, Answer> actual, Map<String, Answer> expected, String what) {
        Map<String, String> wrong = new java.util.TreeMap<>();
        expected.forEach((probe, answer) -> {
            if (!java.util.Objects.equals(answer, actual.get(probe))) {
                wrong.put(probe, actual.get(probe) + " (expected: " + answer + ")");
            }
        });
        assertThat(wrong).as(what).isEmpty();
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
    }

    /** Every probe's answer; null for no match. */
    private static Map<String, Answer> probeAll(Router<Dest> router) {
        Map<String, Answer> out = new HashMap<>();
        for (String host : PROBE_HOSTS) {
            for (String path : PROBE_PATHS) {
                for (String method : new String[]{"GET", "POST"}) {
                    for (int variant = 0; variant < 3; variant++) {
                        HttpHeaders headers = new DefaultHttpHeaders();
                        if (variant == 1) {
                            headers.add("X-V", "v1");
                        }
                        String query = variant == 2 ? "q=1" : null;
                        RouteMatch<Dest> m = router.match(host, method, path, headers, query);
                        out.put(host + " " + method + " " + path + " " + variant,
                                m == null ? null : new Answer(m.route(), m.destination(), m.matched()));
                    }
                }
            }
        }
        return out;
    }
}
