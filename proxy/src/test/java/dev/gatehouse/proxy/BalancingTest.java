package dev.gatehouse.proxy;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.proxy.balance.TargetState;
import dev.gatehouse.proxy.balance.UpstreamState;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The balancing algorithms through a real proxy to real backends; counts are exact or bounded. */
class BalancingTest extends ProxyTestBase {
    private long version;

    static Upstream upstream(Upstream.Algorithm algorithm, Upstream.HashOn hashOn, Upstream.HealthChecks checks,
                             List<Upstream.Target> targets) {
        return new Upstream("default/u", Fixtures.source("Upstream", "default/u"), algorithm, hashOn, null, targets, checks, 0);
    }

    static Upstream.Target target(Backend b, int weight) {
        return new Upstream.Target("127.0.0.1", b.port(), weight);
    }

    private void serve(Upstream upstream, Route... extra) {
        if (proxy == null) {
            proxy = ProxyServer.start(Fixtures.config());
        }
        Service svc = service("default/s", "default/u");
        List<Route> routes = new ArrayList<>(List.of(route("default/r", svc.id()).build()));
        routes.addAll(List.of(extra));
        Snapshot s = Fixtures.snapshot(++version, List.of(svc), routes, List.of(upstream), List.of());
        assertThat(proxy.apply(s)).isEmpty();
    }

    private UpstreamState state() {
        return proxy.balancers().upstreams().get("default/u");
    }

    /**
     * {@code n} GETs on keep-alive connections, one at a time, a new one when the proxy closes
     * the last (after --max-requests-per-connection); answers by backend name.
     */
    private Map<String, Integer> spread(int n, String... headers) throws IOException {
        Map<String, Integer> out = new HashMap<>();
        StringBuilder req = new StringBuilder("GET / HTTP/1.1\r\nHost: localhost\r\n");
        for (int i = 0; i < headers.length; i += 2) {
            req.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        String r = req.append("\r\n").toString();
        TestClient c = new TestClient(proxy.port());
        try {
            for (int i = 0; i < n; i++) {
                c.write(r);
                TestClient.Response res = c.read(false);
                assertThat(res.status()).isEqualTo(200);
                out.merge(res.header("x-backend"), 1, Integer::sum);
                if ("close".equals(res.header("connection"))) {
                    c.close();
                    c = new TestClient(proxy.port());
                }
            }
        } finally {
            c.close();
        }
        return out;
    }

    /** {@code threads} keep-alive clients sending GETs for {@code millis}; answers by backend name. */
    private Map<String, Integer> load(int threads, long millis) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
            List<Future<Map<String, Integer>>> parts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                parts.add(pool.submit(() -> {
                    Map<String, Integer> out = new HashMap<>();
                    TestClient c = new TestClient(proxy.port());
                    try {
                        while (System.nanoTime() < end) {
                            c.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
                            TestClient.Response r = c.read(false);
                            assertThat(r.status()).isEqualTo(200);
                            out.merge(r.header("x-backend"), 1, Integer::sum);
                            if ("close".equals(r.header("connection"))) {
                                c.close();
                                c = new TestClient(proxy.port());
                            }
                        }
                    } finally {
                        c.close();
                    }
                    return out;
                }));
            }
            Map<String, Integer> all = new HashMap<>();
            for (Future<Map<String, Integer>> f : parts) {
                f.get(millis + 10_000, TimeUnit.MILLISECONDS).forEach((k, v) -> all.merge(k, v, Integer::sum));
            }
            return all;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void weightsOneTwoThreeSplitSixThousandRequests() throws Exception {
        Backend a = backend("a");
        Backend b = backend("b");
        Backend c = backend("c");
        serve(upstream(Upstream.Algorithm.ROUND_ROBIN, null, null, List.of(target(a, 100), target(b, 200), target(c, 300))));
        Map<String, Integer> got = spread(6000);
        System.out.printf("round robin 1:2:3 over 6000: a %.4f b %.4f c %.4f%n", got.get("a") / 6000.0,
                got.get("b") / 6000.0, got.get("c") / 6000.0);
        assertThat(got.get("a") / 6000.0).isCloseTo(1 / 6.0, within(0.03));
        assertThat(got.get("b") / 6000.0).isCloseTo(2 / 6.0, within(0.03));
        assertThat(got.get("c") / 6000.0).isCloseTo(3 / 6.0, within(0.03));
    }

    @Test
    void leastConnectionsSendsFewNewRequestsToAStalledBackend() throws Exception {
        Backend fast1 = backend("fast1");
        Backend fast2 = backend("fast2");
        CountDownLatch release = new CountDownLatch(1);
        Backend stall = backend("stall");
        stall.handler((ex, s) -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Backend.echo(ex, s);
        });
        serve(upstream(Upstream.Algorithm.LEAST_CONNECTIONS, null, null,
                List.of(target(fast1, 100), target(fast2, 100), target(stall, 100))));
        int total = 300;
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                results.add(pool.submit(() -> TestClient.get(proxy.port(), "/").status()));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (fast1.seen.size() + fast2.seen.size() + stall.started.get() < total && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            int stalled = stall.started.get();
            System.out.printf("least connections: %d of %d requests to the stalled backend (%.1f%%)%n", stalled, total,
                    100.0 * stalled / total);
            assertThat((double) stalled / total).isLessThan(0.20);
            release.countDown();
            for (Future<Integer> f : results) {
                assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo(200);
            }
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void leastLatencyMovesTrafficOffABackendThatGetsTenTimesSlower() throws Exception {
        Map<String, AtomicInteger> delays = new HashMap<>();
        List<Backend> backends = new ArrayList<>();
        for (String name : List.of("a", "b", "c")) {
            AtomicInteger delay = new AtomicInteger(10);
            delays.put(name, delay);
            Backend b = backend(name);
            b.handler((ex, s) -> {
                try {
                    Thread.sleep(delay.get());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                Backend.echo(ex, s);
            });
            backends.add(b);
        }
        serve(upstream(Upstream.Algorithm.LEAST_LATENCY, null, null, backends.stream().map(b -> target(b, 100)).toList()));
        Map<String, Integer> before = load(2, 1_000);
        int beforeTotal = before.values().stream().mapToInt(Integer::intValue).sum();
        double shareBefore = before.getOrDefault("c", 0) / (double) beforeTotal;
        assertThat(shareBefore).as("c's share before: " + before).isGreaterThan(0.05);

        delays.get("c").set(100);
        Map<String, Integer> after = load(2, 2_000);
        int total = after.values().stream().mapToInt(Integer::intValue).sum();
        int toC = after.getOrDefault("c", 0);
        double shareAfter = (double) toC / total;
        System.out.printf("least latency: c's share %.3f before, %.3f in the 2 s after it got 10x slower (%d of %d);"
                + " %.1f%% of its traffic moved off (%.1f%% of its fair share)%n", shareBefore, shareAfter, toC, total,
                100 * (1 - shareAfter / shareBefore), 100 * (1 - shareAfter * 3));
        // "Its traffic" is its fair share (1/3): with equal backends, P2C over a peak EWMA leans
        // towards whichever answered fastest lately, so the share before is noisy (0.2..0.6 seen).
        assertThat(shareAfter).isLessThanOrEqualTo(0.2 / 3);
    }

    @Test
    void consistentHashKeepsAHeaderOnItsBackendAcrossASwap() throws Exception {
        List<Backend> backends = List.of(backend("a"), backend("b"), backend("c"));
        Upstream u = upstream(Upstream.Algorithm.CONSISTENT_HASH, new Upstream.HashOn(Upstream.HashSource.HEADER, "x-user"),
                null, backends.stream().map(b -> target(b, 100)).toList());
        serve(u);
        Map<String, String> owner = new HashMap<>();
        for (int i = 0; i < 1000; i++) {
            String user = "user-" + (i % 100);
            String got = TestClient.get(proxy.port(), "/", "x-user", user).header("x-backend");
            assertThat(owner.computeIfAbsent(user, k -> got)).as(user).isEqualTo(got);
        }
        assertThat(new java.util.HashSet<>(owner.values())).hasSize(3);
        serve(u, route("default/other", "default/s").paths("/other").build());
        for (int i = 0; i < 100; i++) {
            String user = "user-" + i;
            assertThat(TestClient.get(proxy.port(), "/", "x-user", user).header("x-backend")).as(user).isEqualTo(owner.get(user));
        }
    }

    @Test
    void consistentHashRetriesOnTheNextDistinctTarget() throws Exception {
        Backend a = backend("a");
        Backend b = backend("b");
        Backend gone = new Backend("gone");
        int dead = gone.port();
        gone.close();
        serve(upstream(Upstream.Algorithm.CONSISTENT_HASH, new Upstream.HashOn(Upstream.HashSource.HEADER, "x-user"), null,
                List.of(target(a, 100), target(b, 100), new Upstream.Target("127.0.0.1", dead, 100))));
        for (int i = 0; i < 60; i++) {
            assertThat(TestClient.get(proxy.port(), "/", "x-user", "user-" + i).status()).isEqualTo(200);
        }
    }

    @Test
    void aStickyCookieIsSetWhenMissingAndKeepsTheSession() throws Exception {
        List<Backend> backends = List.of(backend("a"), backend("b"), backend("c"));
        serve(upstream(Upstream.Algorithm.CONSISTENT_HASH, new Upstream.HashOn(Upstream.HashSource.COOKIE, "gh_session"),
                null, backends.stream().map(b -> target(b, 100)).toList()));
        TestClient.Response first = TestClient.get(proxy.port(), "/");
        String setCookie = first.header("set-cookie");
        assertThat(setCookie).startsWith("gh_session=").contains("Path=/", "HttpOnly", "SameSite=Lax");
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        for (int i = 0; i < 30; i++) {
            TestClient.Response r = TestClient.get(proxy.port(), "/", "cookie", cookie);
            assertThat(r.header("x-backend")).isEqualTo(first.header("x-backend"));
            assertThat(r.header("set-cookie")).isNull();
        }
        Backend owner = backends.stream().filter(b -> b.name().equals(first.header("x-backend"))).findFirst().orElseThrow();
        assertThat(owner.seen.get(0).header("cookie")).isEqualTo(cookie);
    }

    @Test
    void aDrainedTargetGetsNoNewRequestWhileItsInFlightOneFinishes() throws Exception {
        Backend a = backend("a");
        CountDownLatch release = new CountDownLatch(1);
        Backend b = backend("b");
        b.handler((ex, s) -> {
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Backend.echo(ex, s);
        });
        serve(upstream(Upstream.Algorithm.ROUND_ROBIN, null, null, List.of(target(b, 100))));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<TestClient.Response> inFlight = pool.submit(() -> TestClient.get(proxy.port(), "/slow"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (b.started.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            serve(upstream(Upstream.Algorithm.ROUND_ROBIN, null, null, List.of(target(a, 100), target(b, 0))));
            assertThat(spread(50)).containsExactly(Map.entry("a", 50));
            assertThat(b.started.get()).isEqualTo(1);
            release.countDown();
            TestClient.Response r = inFlight.get(10, TimeUnit.SECONDS);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("x-backend")).isEqualTo("b");
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void countersAndLatencySurviveASwap() throws Exception {
        Backend a = backend("a");
        Upstream u = upstream(Upstream.Algorithm.LEAST_LATENCY, null, null, List.of(target(a, 100)));
        serve(u);
        spread(10);
        TargetState before = state().find("127.0.0.1:" + a.port());
        assertThat(before.requests()).isEqualTo(10);
        assertThat(before.ewmaNanos(System.nanoTime())).isPositive();
        serve(u, route("default/other", "default/s").paths("/other").build());
        spread(5);
        assertThat(state().find("127.0.0.1:" + a.port())).isSameAs(before);
        assertThat(before.requests()).isEqualTo(15);
        assertThat(before.inFlight()).isZero();
    }

    @Test
    void passiveChecksEjectATargetThatFailsAndTheOthersTakeItsTraffic() throws Exception {
        Backend a = backend("a");
        Backend b = backend("b");
        b.handler((ex, s) -> Backend.respond(ex, 503, "down"));
        serve(upstream(Upstream.Algorithm.ROUND_ROBIN, null,
                new Upstream.HealthChecks(null, new Upstream.Passive(3, 30_000, 50)), List.of(target(a, 100), target(b, 100))));
        int failures = 0;
        for (int i = 0; i < 40; i++) {
            failures += TestClient.get(proxy.port(), "/").status() == 503 ? 1 : 0;
        }
        assertThat(failures).isEqualTo(3);
        assertThat(state().find("127.0.0.1:" + b.port()).ejected(System.nanoTime())).isTrue();
        assertThat(spread(20)).containsExactly(Map.entry("a", 20));
    }
}
