package dev.gatehouse.proxy;

import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.Upstream;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.source;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The retry budget over real sockets: a target that refuses every connection, a healthy one
 * that holds each request until the test lets it answer (so what reached it is what is in
 * flight there), clients on their own connections, and the budget's counter scraped from
 * {@code /metrics} of the status server.
 *
 * <p>Where every first attempt must go to the failing target, it has weight 65535 and the healthy
 * one weight 1: smooth weighted round robin gives the healthy one its first pick only after 32768
 * picks, and a retry (which may go only to the healthy one) leaves the weights' positions as they
 * were. Every arrival at the healthy backend is then a retry in flight.
 */
class RetryBudgetSocketTest {
    private static final long WAIT_MS = 30_000;

    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final ExecutorService clients = Executors.newCachedThreadPool();
    private final CountDownLatch release = new CountDownLatch(1);
    private ProxyServer proxy;
    private StatusServer status;
    private Backend healthy;
    private int deadPort;

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        clients.shutdownNow();
        if (status != null) {
            status.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        for (AutoCloseable c : closeables) {
            c.close();
        }
        assertThat(clients.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }

    private void start(boolean holding) throws IOException {
        healthy = new Backend("healthy", holding ? (ex, seen) -> {
            try {
                release.await(WAIT_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Backend.echo(ex, seen);
        } : null);
        closeables.add(healthy);
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort(); // closed again: connections to it are refused
        }
        proxy = ProxyServer.start(Fixtures.config(), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        status = StatusServer.start("127.0.0.1", 0, proxy);
    }

    private static Service service(Service.RetryBudget budget) {
        return new Service("default/s", source("GatewayService", "default/s"), "default/u", Service.Protocol.HTTP, "/", null,
                Service.DEFAULT_RETRIES, new Service.Timeouts(5_000, 20_000, 5_000), budget);
    }

    private Snapshot snapshot(long version, Service service, int deadWeight, int healthyWeight) {
        Upstream u = Fixtures.upstream("default/u", List.of(new Upstream.Target("127.0.0.1", deadPort, deadWeight),
                new Upstream.Target("127.0.0.1", healthy.port(), healthyWeight)));
        return Fixtures.snapshot(version, List.of(service), List.of(route("default/r", "default/s").build()), List.of(u), List.of());
    }

    private Future<TestClient.Response> send(String path) {
        return clients.submit(() -> TestClient.get(proxy.port(), path));
    }

    private double exhausted() throws IOException {
        TestClient.Response r = TestClient.get(status.port(), "/metrics");
        assertThat(r.status()).isEqualTo(200);
        return PrometheusText.parse(r.body()).value("gatehouse_retries_budget_exhausted_total",
                "route", "default/r", "service", "default/s");
    }

    private double retriesGauge() throws IOException {
        TestClient.Response r = TestClient.get(status.port(), "/metrics");
        return PrometheusText.parse(r.body()).value("gatehouse_retries_in_flight", "service", "default/s");
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waited %d ms for %s", WAIT_MS, what).isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    private static int countStatus(List<Future<TestClient.Response>> done, int status) throws Exception {
        int n = 0;
        for (Future<TestClient.Response> f : done) {
            if (f.isDone() && f.get().status() == status) {
                n++;
            }
        }
        return n;
    }

    @Test
    void concurrentRetriesStayWithinTheDefaultBudgetAndEachRefusalIsCounted() throws Exception {
        start(true);
        assertThat(proxy.apply(snapshot(1, service(null), 65535, 1))).isEmpty();
        int n = 40;
        List<Future<TestClient.Response>> responses = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            responses.add(send("/c" + i));
        }
        // Every request failed on the dead target; each then either reached the healthy one (a
        // retry, held there) or was answered 502 at once.
        await("each request held by the healthy backend or answered", () -> {
            long answered = responses.stream().filter(Future::isDone).count();
            return healthy.started.get() + answered == n;
        });
        int retriesInFlight = healthy.started.get();
        int refused = countStatus(responses, 502);
        // at most max(3, floor(20% of the 40 attempts that can be in flight)) = 8; at least the minimum
        assertThat(retriesInFlight).as("retries in flight at the healthy backend").isBetween(3, 8);
        assertThat(refused).isEqualTo(n - retriesInFlight);
        for (Future<TestClient.Response> f : responses) {
            if (f.isDone()) {
                assertThat(f.get().body()).startsWith("{\"message\":\"An invalid response was received from the upstream server\"");
                assertThat(f.get().header("x-request-id")).isNotBlank();
            }
        }
        assertThat(exhausted()).isEqualTo(refused);
        assertThat(retriesGauge()).as("the proxy's own count").isEqualTo(retriesInFlight);

        release.countDown();
        int ok = 0;
        for (Future<TestClient.Response> f : responses) {
            if (f.get(WAIT_MS, TimeUnit.MILLISECONDS).status() == 200) {
                ok++;
            }
        }
        assertThat(ok).as("the retried requests").isEqualTo(retriesInFlight);
        assertThat(healthy.seen).hasSize(retriesInFlight);
        await("no request in flight", () -> proxy.inFlight() == 0);
        assertThat(retriesGauge()).as("no retry count left behind").isZero();
    }

    /**
     * 20 first attempts held at the healthy target, then a snapshot that sends every first
     * attempt to the failing one: the counts survive the swap, so one request after another the
     * budget admits exactly 5 retries (with the 5th, 5 retries of 25 attempts in flight is 20%),
     * more than the minimum of 3 it would admit had the swap reset them.
     */
    @Test
    void theShareOfAttemptsInFlightSurvivesASnapshotSwap() throws Exception {
        start(true);
        Service s = service(new Service.RetryBudget(20, 3));
        assertThat(proxy.apply(snapshot(1, s, 0, 100))).isEmpty();
        List<Future<TestClient.Response>> first = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            first.add(send("/first" + i));
        }
        await("20 first attempts held", () -> healthy.started.get() == 20);
        assertThat(proxy.apply(snapshot(2, s, 65535, 1))).isEmpty();

        List<Integer> outcomes = new ArrayList<>();
        List<Future<TestClient.Response>> second = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int arrivedBefore = healthy.started.get();
            Future<TestClient.Response> f = send("/second" + i);
            second.add(f);
            await("request " + i + " held or answered", () -> f.isDone() || healthy.started.get() > arrivedBefore);
            outcomes.add(f.isDone() ? f.get().status() : 0); // 0: retried, held at the healthy backend
        }
        assertThat(outcomes).containsExactly(0, 0, 0, 0, 0, 502, 502, 502);
        assertThat(exhausted()).isEqualTo(3.0);
        assertThat(retriesGauge()).isEqualTo(5.0);

        release.countDown();
        for (Future<TestClient.Response> f : first) {
            assertThat(f.get(WAIT_MS, TimeUnit.MILLISECONDS).status()).isEqualTo(200);
        }
        for (int i = 0; i < 5; i++) {
            assertThat(second.get(i).get(WAIT_MS, TimeUnit.MILLISECONDS).status()).isEqualTo(200);
        }
        assertThat(healthy.seen).hasSize(25);
        await("no request in flight", () -> proxy.inFlight() == 0);
        assertThat(retriesGauge()).isZero();
    }

    @Test
    void theDefaultBudgetLetsEveryRetryThroughAtLowConcurrency() throws Exception {
        start(false);
        Backend other = new Backend("other");
        closeables.add(other);
        Upstream u = Fixtures.upstream("default/u", List.of(new Upstream.Target("127.0.0.1", healthy.port(), 100),
                new Upstream.Target("127.0.0.1", deadPort, 100), new Upstream.Target("127.0.0.1", other.port(), 100)));
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service(null)), List.of(route("default/r", "default/s").build()),
                List.of(u), List.of()))).isEmpty();
        // three clients: never more than 3 retries in flight, the default minimum
        int perClient = 60;
        List<Future<Integer>> failed = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            int client = c;
            failed.add(clients.submit(() -> {
                int bad = 0;
                for (int i = 0; i < perClient; i++) {
                    if (TestClient.get(proxy.port(), "/c" + client + "/" + i).status() != 200) {
                        bad++;
                    }
                }
                return bad;
            }));
        }
        int failures = 0;
        for (Future<Integer> f : failed) {
            failures += f.get(WAIT_MS, TimeUnit.MILLISECONDS);
        }
        assertThat(failures).as("failed GETs").isZero();
        assertThat(healthy.seen.size() + other.seen.size()).isEqualTo(3 * perClient);
        assertThat(exhausted()).isZero();
        TestClient.Response m = TestClient.get(status.port(), "/metrics");
        assertThat(PrometheusText.parse(m.body()).value("gatehouse_retries_total", "route", "default/r", "service", "default/s"))
                .as("a third of the first attempts went to the dead target and were retried").isGreaterThanOrEqualTo(3 * perClient / 4.0);
    }

    @Test
    void aClientThatLeavesDuringItsRetryGivesTheRetryBack() throws Exception {
        start(true);
        assertThat(proxy.apply(snapshot(1, service(null), 65535, 1))).isEmpty();
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("GET /leaving HTTP/1.1\r\nHost: a\r\n\r\n");
            await("the retry held at the healthy backend", () -> healthy.started.get() == 1);
            assertThat(retriesGauge()).isEqualTo(1.0);
        }
        await("the retry given back", () -> {
            try {
                return retriesGauge() == 0.0;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        await("no request in flight", () -> proxy.inFlight() == 0);
    }

    @Test
    void aRefusedRetryAfterATimeoutAnswers504() throws Exception {
        start(false);
        RawBackend silent = new RawBackend();
        closeables.add(silent);
        silent.responder(r -> new byte[0]); // reads the request, never answers
        Service noRetries = new Service("default/s", source("GatewayService", "default/s"), "default/u", Service.Protocol.HTTP,
                "/", null, Service.DEFAULT_RETRIES, new Service.Timeouts(5_000, 300, 5_000), new Service.RetryBudget(0, 0));
        Upstream u = Fixtures.upstream("default/u", List.of(new Upstream.Target("127.0.0.1", silent.port(), 65535),
                new Upstream.Target("127.0.0.1", healthy.port(), 1)));
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(noRetries), List.of(route("default/r", "default/s").build()),
                List.of(u), List.of()))).isEmpty();
        TestClient.Response r = TestClient.get(proxy.port(), "/slow");
        assertThat(r.status()).isEqualTo(504);
        assertThat(silent.requests).hasSize(1);
        assertThat(healthy.seen).as("no retry reached the healthy target").isEmpty();
        assertThat(exhausted()).isEqualTo(1.0);

        // the same service with the default budget retries on the healthy target
        Service retrying = new Service(noRetries.id(), noRetries.source(), noRetries.upstream(), noRetries.protocol(), "/", null,
                Service.DEFAULT_RETRIES, noRetries.timeouts(), null);
        assertThat(proxy.apply(Fixtures.snapshot(2, List.of(retrying), List.of(route("default/r", "default/s").build()),
                List.of(u), List.of()))).isEmpty();
        assertThat(TestClient.get(proxy.port(), "/slow").status()).isEqualTo(200);
        assertThat(healthy.seen).hasSize(1);
        assertThat(exhausted()).isEqualTo(1.0);
        assertThat(retriesGauge()).isZero();
    }
}
