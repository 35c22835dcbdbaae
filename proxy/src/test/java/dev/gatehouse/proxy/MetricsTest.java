package dev.gatehouse.proxy;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.KeyDigest;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.Upstream;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/** Real traffic through a real proxy, then {@code /metrics} of its status server scraped over a socket and parsed. */
class MetricsTest {
    private Backend backend;
    private ProxyServer proxy;
    private StatusServer status;
    private int deadPort;

    @BeforeEach
    void start() throws Exception {
        backend = new Backend("b");
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            deadPort = s.getLocalPort();
        }
        proxy = ProxyServer.start(Fixtures.config(), new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        status = StatusServer.start("127.0.0.1", 0, proxy);
    }

    @AfterEach
    void stop() {
        status.close();
        proxy.close();
        backend.close();
    }

    private Snapshot snapshot(long version, boolean withKeyRoute) {
        Consumer alice = new Consumer("uid-alice", Fixtures.source("Consumer", "default/alice"), "alice", null,
                List.of(new Consumer.Credential("cred-alice", KeyDigest.of("alice-key"))));
        List<Route> routes = new java.util.ArrayList<>(List.of(
                route("default/open", "default/s").paths("/open").build(),
                route("default/flaky", "default/f").paths("/flaky").build()));
        if (withKeyRoute) {
            routes.add(route("default/keyed", "default/s").paths("/k")
                    .keyAuth(new Route.KeyAuth(List.of(), true, true, true, null)).build());
        }
        return Fixtures.snapshot(version,
                List.of(service("default/s", "default/u"),
                        service("default/f", "default/dead-first", "/", 1, Service.Timeouts.DEFAULT)),
                routes,
                List.of(upstream("default/u", backend.port()),
                        upstream("default/dead-first", List.of(new Upstream.Target("127.0.0.1", deadPort, 100),
                                new Upstream.Target("127.0.0.1", backend.port(), 100)))),
                List.of(alice));
    }

    private PrometheusText scrape() throws Exception {
        TestClient.Response r = TestClient.get(status.port(), "/metrics");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("content-type")).startsWith("text/plain; version=0.0.4");
        return PrometheusText.parse(r.body());
    }

    @Test
    void countsRequestsByRouteServiceAndStatusClassWithLatencies() throws Exception {
        assertThat(proxy.apply(snapshot(3, true))).isEmpty();
        for (int i = 0; i < 3; i++) {
            assertThat(TestClient.get(proxy.port(), "/open/x").status()).isEqualTo(200);
        }
        assertThat(TestClient.get(proxy.port(), "/k").status()).isEqualTo(401);
        assertThat(TestClient.get(proxy.port(), "/k", "apikey", "wrong").status()).isEqualTo(401);
        assertThat(TestClient.get(proxy.port(), "/k?apikey=a&apikey=b").status()).isEqualTo(401);
        assertThat(TestClient.get(proxy.port(), "/k", "apikey", "alice-key").status()).isEqualTo(200);
        assertThat(TestClient.get(proxy.port(), "/nowhere").status()).isEqualTo(404);
        assertThat(TestClient.raw(proxy.port(), "POST /open HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!")
                .status()).isEqualTo(400);

        PrometheusText m = scrape();
        String[] open = {"route", "default/open", "service", "default/s"};
        assertThat(m.value("gatehouse_requests_total", "route", "default/open", "service", "default/s", "status_class", "2xx"))
                .isEqualTo(3.0);
        assertThat(m.value("gatehouse_requests_total", "route", "default/open", "service", "default/s", "status_class", "5xx"))
                .isEqualTo(0.0);
        assertThat(m.value("gatehouse_requests_total", "route", "default/keyed", "service", "default/s", "status_class", "4xx"))
                .isEqualTo(3.0);
        assertThat(m.value("gatehouse_requests_total", "route", "default/keyed", "service", "default/s", "status_class", "2xx"))
                .isEqualTo(1.0);
        // the 404 and the 400 of the HTTP gate
        assertThat(m.value("gatehouse_requests_total", "route", "none", "service", "none", "status_class", "4xx")).isEqualTo(2.0);
        assertThat(m.value("gatehouse_keyauth_failures_total", "route", "default/keyed", "reason", "no_key")).isEqualTo(1.0);
        assertThat(m.value("gatehouse_keyauth_failures_total", "route", "default/keyed", "reason", "unknown_key")).isEqualTo(1.0);
        assertThat(m.value("gatehouse_keyauth_failures_total", "route", "default/keyed", "reason", "duplicate_key")).isEqualTo(1.0);
        assertThat(m.has("gatehouse_keyauth_failures_total", "route", "default/open")).isFalse();

        assertThat(m.value("gatehouse_request_duration_seconds_count", open)).isEqualTo(3.0);
        assertThat(m.value("gatehouse_upstream_duration_seconds_count", open)).isEqualTo(3.0);
        assertThat(m.value("gatehouse_request_duration_seconds_bucket", "route", "default/open", "service", "default/s", "le", "+Inf"))
                .isEqualTo(3.0);
        // bounded percentile buckets: 1 ms .. 60 s
        assertThat(m.find("gatehouse_request_duration_seconds_bucket", open)).hasSizeBetween(10, 80);
        // the proxy's own 401s never reached a target
        assertThat(m.value("gatehouse_upstream_duration_seconds_count", "route", "default/keyed", "service", "default/s"))
                .isEqualTo(1.0);

        assertThat(m.value("gatehouse_upstream_target_in_flight", "upstream", "default/u", "target", "127.0.0.1:" + backend.port()))
                .isEqualTo(0.0);
        assertThat(m.value("gatehouse_snapshot_version")).isEqualTo(3.0);
        assertThat(m.value("gatehouse_snapshots_applied_total")).isEqualTo(1.0);
        assertThat(m.value("gatehouse_snapshots_refused_total")).isEqualTo(0.0);
        assertThat(m.value("gatehouse_snapshot_apply_seconds_count")).isEqualTo(1.0);
        assertThat(m.value("gatehouse_connections_active")).isBetween(0.0, 1.0);
        assertThat(m.value("gatehouse_access_log_dropped_total")).isEqualTo(0.0);
    }

    @Test
    void countsRetriesAndShowsOpenConnections() throws Exception {
        assertThat(proxy.apply(snapshot(1, false))).isEmpty();
        for (int i = 0; i < 4; i++) {
            assertThat(TestClient.get(proxy.port(), "/flaky").status()).isEqualTo(200);
        }
        try (TestClient open = new TestClient(proxy.port())) {
            open.write("GET /open HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(open.read(false).status()).isEqualTo(200);
            PrometheusText m = scrape();
            assertThat(m.value("gatehouse_requests_total", "route", "default/flaky", "service", "default/f", "status_class", "2xx"))
                    .isEqualTo(4.0);
            // round robin over [dead, live]: every request that starts on the dead target is retried once
            assertThat(m.value("gatehouse_retries_total", "route", "default/flaky", "service", "default/f")).isBetween(1.0, 4.0);
            assertThat(m.value("gatehouse_connections_active")).isEqualTo(1.0);
            assertThat(m.value("gatehouse_upstream_target_in_flight", "upstream", "default/dead-first", "target", "127.0.0.1:" + deadPort))
                    .isEqualTo(0.0);
        }
    }

    @Test
    void seriesOfARouteThatLeavesAreRemovedAndStayingRoutesKeepCounting() throws Exception {
        assertThat(proxy.apply(snapshot(1, true))).isEmpty();
        assertThat(TestClient.get(proxy.port(), "/open").status()).isEqualTo(200);
        assertThat(TestClient.get(proxy.port(), "/k").status()).isEqualTo(401);
        assertThat(scrape().has("gatehouse_requests_total", "route", "default/keyed")).isTrue();

        assertThat(proxy.apply(snapshot(2, false))).isEmpty();
        Snapshot bad = new Snapshot(3, List.of(service("default/s", "default/missing")), List.of(), List.of(), List.of());
        assertThat(proxy.apply(bad)).isNotEmpty();
        assertThat(TestClient.get(proxy.port(), "/open").status()).isEqualTo(200);

        PrometheusText m = scrape();
        assertThat(m.has("gatehouse_requests_total", "route", "default/keyed")).isFalse();
        assertThat(m.has("gatehouse_keyauth_failures_total")).isFalse();
        assertThat(m.value("gatehouse_requests_total", "route", "default/open", "service", "default/s", "status_class", "2xx"))
                .isEqualTo(2.0);
        assertThat(m.value("gatehouse_snapshot_version")).isEqualTo(2.0);
        assertThat(m.value("gatehouse_snapshots_applied_total")).isEqualTo(2.0);
        assertThat(m.value("gatehouse_snapshots_refused_total")).isEqualTo(1.0);

        assertThat(proxy.apply(Fixtures.snapshot(4, List.of(), List.of(), List.of(), List.of()))).isEmpty();
        m = scrape();
        assertThat(m.has("gatehouse_requests_total", "route", "default/open")).isFalse();
        assertThat(m.has("gatehouse_upstream_target_in_flight")).isFalse();
    }

    /** 500 routes on one service; route {@code default/r<i>} serves {@code /r<i>}. */
    private Snapshot manyRoutes(long version, int count) {
        List<Route> routes = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            routes.add(route("default/r" + i, "default/s").paths("/r" + i).build());
        }
        return Fixtures.snapshot(version, List.of(service("default/s", "default/u")), routes,
                List.of(upstream("default/u", backend.port())), List.of());
    }

    @Test
    void aRoutesSeriesAppearOnItsFirstRequestAndGoWithTheRoute() throws Exception {
        assertThat(proxy.apply(manyRoutes(1, 500))).isEmpty();
        PrometheusText m = scrape();
        // compiled, not requested: no series of any of the 500 routes
        assertThat(m.has("gatehouse_requests_total", "route", "default/r7")).isFalse();
        assertThat(m.has("gatehouse_request_duration_seconds_count", "service", "default/s")).isFalse();

        assertThat(TestClient.get(proxy.port(), "/r7").status()).isEqualTo(200);
        m = scrape();
        assertThat(m.value("gatehouse_requests_total", "route", "default/r7", "service", "default/s", "status_class", "2xx"))
                .isEqualTo(1.0);
        assertThat(m.value("gatehouse_request_duration_seconds_count", "route", "default/r7", "service", "default/s")).isEqualTo(1.0);
        assertThat(m.has("gatehouse_requests_total", "route", "default/r8")).isFalse();

        // a new snapshot keeping r7 (and its holder): the count goes on, series of unrequested routes still absent
        assertThat(proxy.apply(manyRoutes(2, 500))).isEmpty();
        assertThat(TestClient.get(proxy.port(), "/r7").status()).isEqualTo(200);
        m = scrape();
        assertThat(m.value("gatehouse_requests_total", "route", "default/r7", "service", "default/s", "status_class", "2xx"))
                .isEqualTo(2.0);
        assertThat(m.has("gatehouse_requests_total", "route", "default/r499")).isFalse();

        // r7 leaves: its series go; a request still holding it cannot bring them back
        assertThat(proxy.apply(manyRoutes(3, 5))).isEmpty();
        m = scrape();
        assertThat(m.has("gatehouse_requests_total", "route", "default/r7")).isFalse();
        assertThat(m.has("gatehouse_request_duration_seconds_count", "route", "default/r7")).isFalse();
        assertThat(TestClient.get(proxy.port(), "/r7").status()).isEqualTo(404);
        assertThat(scrape().has("gatehouse_requests_total", "route", "default/r7")).isFalse();
    }

    @Test
    void inFlightGaugeCountsARequestWaitingOnItsTarget() throws Exception {
        java.util.concurrent.CountDownLatch arrived = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        backend.handler((ex, seen) -> {
            arrived.countDown();
            try {
                release.await(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Backend.respond(ex, 200, "late");
        });
        assertThat(proxy.apply(snapshot(1, false))).isEmpty();
        String[] target = {"upstream", "default/u", "target", "127.0.0.1:" + backend.port()};
        try (TestClient slow = new TestClient(proxy.port())) {
            slow.write("GET /open HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(arrived.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            assertThat(scrape().value("gatehouse_upstream_target_in_flight", target)).isEqualTo(1.0);
            release.countDown();
            assertThat(slow.read(false).status()).isEqualTo(200);
        } finally {
            release.countDown();
        }
        assertThat(scrape().value("gatehouse_upstream_target_in_flight", target)).isEqualTo(0.0);
    }

    @Test
    void channelGaugeFollowsTheBoundState() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean connected = new java.util.concurrent.atomic.AtomicBoolean();
        proxy.metrics().channelConnected(connected::get);
        assertThat(scrape().value("gatehouse_channel_connected")).isEqualTo(0.0);
        connected.set(true);
        assertThat(scrape().value("gatehouse_channel_connected")).isEqualTo(1.0);
    }
}
