package dev.gatehouse.proxy;

import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.proxy.balance.TargetState;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static dev.gatehouse.proxy.BalancingTest.target;
import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

/** Active health checks against real backends that die and come back; the status page shows it. */
class HealthCheckTest extends ProxyTestBase {
    private static final Upstream.Active ACTIVE = new Upstream.Active("/healthz", 200, 200, 2, 2, List.of());

    private void serve(Upstream u) {
        proxy = ProxyServer.start(Fixtures.config());
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").build()), List.of(u), List.of()))).isEmpty();
    }

    /** Sends GETs until {@code until} holds (or {@code maxMillis}); every one must get 200. Returns the ms it took. */
    private long getWhile(BooleanSupplier until, long maxMillis) throws IOException {
        long start = System.nanoTime();
        int n = 0;
        while (!until.getAsBoolean()) {
            assertThat(TestClient.get(proxy.port(), "/" + n++).status()).as("GET " + n).isEqualTo(200);
            assertThat(System.nanoTime() - start).as("waited too long").isLessThan(TimeUnit.MILLISECONDS.toNanos(maxMillis));
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    private static HttpServer plainServer(int port, String name) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 16);
        s.createContext("/", ex -> {
            byte[] b = name.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("X-Backend", name);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        s.start();
        return s;
    }

    @Test
    void aKilledTargetIsMarkedUnhealthyInTimeWithoutFailedRequestsAndComesBack() throws Exception {
        Backend a = backend("a");
        Backend b = new Backend("b");
        int bPort = b.port();
        serve(BalancingTest.upstream(Upstream.Algorithm.ROUND_ROBIN, null, new Upstream.HealthChecks(ACTIVE, null),
                List.of(target(a, 100), target(b, 100))));
        TargetState bState = proxy.balancers().upstreams().get("default/u").find("127.0.0.1:" + bPort);
        getWhile(() -> b.seen.stream().anyMatch(s -> s.uri().equals("/healthz")), 2_000);

        b.close();
        long bound = ACTIVE.intervalMillis() * ACTIVE.unhealthyThreshold() + 1_000;
        long took = getWhile(() -> !bState.healthy(), bound);
        System.out.printf("active health: killed target unhealthy after %d ms (bound %d ms), no GET failed%n", took, bound);
        long seenBefore = a.seen.stream().filter(s -> s.uri().equals("/")).count();
        for (int i = 0; i < 20; i++) {
            assertThat(TestClient.get(proxy.port(), "/").header("x-backend")).isEqualTo("a");
        }
        assertThat(a.seen.stream().filter(s -> s.uri().equals("/")).count() - seenBefore).isEqualTo(20);

        HttpServer again = plainServer(bPort, "b2");
        try {
            long back = getWhile(bState::healthy, ACTIVE.intervalMillis() * ACTIVE.healthyThreshold() + 1_000);
            System.out.printf("active health: recovered target healthy again after %d ms%n", back);
            boolean reached = false;
            for (int i = 0; i < 10 && !reached; i++) {
                reached = "b2".equals(TestClient.get(proxy.port(), "/").header("x-backend"));
            }
            assertThat(reached).as("the recovered target gets requests again").isTrue();
        } finally {
            again.stop(0);
        }
    }

    @Test
    void upstreamsPageListsEveryTargetWithItsState() throws Exception {
        Backend a = backend("a");
        Backend b = backend("b");
        serve(BalancingTest.upstream(Upstream.Algorithm.LEAST_LATENCY, null, null, List.of(target(a, 100), target(b, 0))));
        for (int i = 0; i < 5; i++) {
            assertThat(TestClient.get(proxy.port(), "/").status()).isEqualTo(200);
        }
        try (StatusServer status = StatusServer.start("127.0.0.1", 0, proxy)) {
            TestClient.Response r = TestClient.get(status.port(), "/upstreams");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body()).contains("\"id\" : \"default/u\"", "\"algorithm\" : \"LEAST_LATENCY\"",
                    "\"address\" : \"127.0.0.1:" + a.port() + "\"", "\"health\" : \"HEALTHY\"", "\"requests\" : 5",
                    "\"address\" : \"127.0.0.1:" + b.port() + "\"", "\"health\" : \"DRAINED\"", "\"requests\" : 0",
                    "\"inFlight\" : 0", "\"ewmaMillis\"", "\"ejectedForMillis\" : 0", "\"failures\" : 0", "\"weight\" : 0");
        }
    }

    @Test
    void whenEveryTargetIsUnhealthyTheProxyFailsOpenOrAnswers503() throws Exception {
        Backend a = backend("a");
        a.handler((ex, s) -> Backend.respond(ex, s.uri().equals("/healthz") ? 500 : 200, "x"));
        Upstream u = BalancingTest.upstream(Upstream.Algorithm.ROUND_ROBIN, null,
                new Upstream.HealthChecks(new Upstream.Active("/healthz", 100, 200, 1, 1, List.of()), null), List.of(target(a, 100)));
        serve(u);
        TargetState state = proxy.balancers().upstreams().get("default/u").find("127.0.0.1:" + a.port());
        getWhile(() -> !state.healthy(), 2_000);
        assertThat(TestClient.get(proxy.port(), "/").status()).as("fail open").isEqualTo(200);
        proxy.close();
        proxy = null;

        serve(BalancingTest.upstream(Upstream.Algorithm.ROUND_ROBIN, null,
                new Upstream.HealthChecks(u.healthChecks().active(), null, false), List.of(target(a, 100))));
        TargetState closed = proxy.balancers().upstreams().get("default/u").find("127.0.0.1:" + a.port());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (closed.healthy() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        TestClient.Response r = TestClient.get(proxy.port(), "/");
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.body()).contains("failure to get a peer");
    }
}
