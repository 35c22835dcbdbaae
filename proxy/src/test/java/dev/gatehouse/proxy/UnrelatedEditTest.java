package dev.gatehouse.proxy;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.proxy.forward.CompiledRoute;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A snapshot that edits one route and removes another route with its service and upstream leaves
 * the upstreams it did not touch as they were (the apply carries them over without rebuilding
 * them), and releases what it removed. Seen through a real proxy, real backends and the meter
 * registry: round robin goes on where it was, least connections still counts the request in
 * flight, the idle connection to an unchanged target is used again, and the removed route's,
 * service's and upstream's series are gone.
 */
class UnrelatedEditTest {
    private final List<AutoCloseable> closing = new ArrayList<>();
    private final CountDownLatch arrived = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private Backend a;
    private Backend b;
    private ProxyServer proxy;

    @BeforeEach
    void start() throws Exception {
        a = open(new Backend("a", this::holdOrEcho));
        b = open(new Backend("b", this::holdOrEcho));
        proxy = open(ProxyServer.start(Fixtures.oneLoopConfig(), registry));
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
    }

    private <T extends AutoCloseable> T open(T t) {
        closing.add(t);
        return t;
    }

    /** {@code /hold} waits (bounded) until the test releases it; anything else is echoed. */
    private void holdOrEcho(com.sun.net.httpserver.HttpExchange ex, Backend.Seen seen) throws IOException {
        if (seen.uri().startsWith("/hold")) {
            arrived.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Backend.echo(ex, seen);
    }

    private Upstream upstream(String id, Upstream.Algorithm algorithm, Backend... backends) {
        List<Upstream.Target> targets = new ArrayList<>();
        for (Backend be : backends) {
            targets.add(new Upstream.Target("127.0.0.1", be.port(), Upstream.Target.DEFAULT_WEIGHT));
        }
        return new Upstream(id, Fixtures.source("Upstream", id), algorithm, null, null, targets, null, 0);
    }

    @Test
    void untouchedUpstreamsKeepTheirStateAndRemovedObjectsLeaveNoSeries() throws Exception {
        Upstream lc = upstream("default/lc", Upstream.Algorithm.LEAST_CONNECTIONS, a, b);
        Upstream rr = upstream("default/rr", Upstream.Algorithm.ROUND_ROBIN, a, b);
        Upstream gone = upstream("default/gone", Upstream.Algorithm.ROUND_ROBIN, a);
        Service sLc = service("default/s-lc", "default/lc");
        Service sRr = service("default/s-rr", "default/rr");
        Service sGone = service("default/s-gone", "default/gone");
        Route rLc = route("default/lc", "default/s-lc").paths("/lc").build();
        Route rRr = route("default/rr", "default/s-rr").paths("/rr").build();
        Snapshot first = Fixtures.snapshot(1, List.of(sLc, sRr, sGone),
                List.of(rLc, rRr, route("default/other", "default/s-lc").paths("/other").build(),
                        route("default/gone", "default/s-gone").paths("/gone").build()),
                List.of(lc, rr, gone), List.of());
        assertThat(proxy.apply(first)).isEmpty();

        // one request held in flight on least connections' first pick
        CompletableFuture<TestClient.Response> held = CompletableFuture.supplyAsync(() -> {
            try {
                return TestClient.get(proxy.port(), "/lc/hold");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertThat(arrived.await(10, TimeUnit.SECONDS)).isTrue();
        String busy = a.seen.stream().anyMatch(s -> s.uri().startsWith("/hold")) ? "a" : "b";
        String idle = busy.equals("a") ? "b" : "a";
        TestClient.Response rr1 = TestClient.get(proxy.port(), "/rr/x");
        assertThat(rr1.status()).isEqualTo(200);
        String rrFirst = rr1.header("x-backend");
        Backend rrFirstBackend = rrFirst.equals("a") ? a : b;
        int rrFirstPort = rrFirstBackend.seen.get(rrFirstBackend.seen.size() - 1).remotePort();
        assertThat(TestClient.get(proxy.port(), "/gone").status()).isEqualTo(200);
        assertThat(TestClient.get(proxy.port(), "/other").status()).isEqualTo(200);
        assertThat(registry.find("gatehouse.requests").tag("route", "default/gone").meters()).isNotEmpty();
        Object rrSelector = destination("default/rr").targets();

        // an unrelated edit: route other moves; route, service and upstream "gone" leave; lc and rr are the same objects
        Snapshot second = Fixtures.snapshot(2, List.of(sLc, sRr),
                List.of(rLc, rRr, route("default/other", "default/s-lc").paths("/other2").build()), List.of(lc, rr), List.of());
        assertThat(proxy.apply(second)).isEmpty();

        assertThat(destination("default/rr").targets()).isSameAs(rrSelector);
        // round robin goes on from where it was, and the idle connection to its first target is used again
        TestClient.Response rr2 = TestClient.get(proxy.port(), "/rr/x");
        assertThat(rr2.header("x-backend")).isNotEqualTo(rrFirst);
        TestClient.Response rr3 = TestClient.get(proxy.port(), "/rr/x");
        assertThat(rr3.header("x-backend")).isEqualTo(rrFirst);
        assertThat(rrFirstBackend.seen.get(rrFirstBackend.seen.size() - 1).remotePort()).isEqualTo(rrFirstPort);
        // least connections still counts the held request: the other target answers
        assertThat(inFlight("default/lc", busy.equals("a") ? a : b)).isEqualTo(1.0);
        assertThat(TestClient.get(proxy.port(), "/lc/x").header("x-backend")).isEqualTo(idle);
        assertThat(TestClient.get(proxy.port(), "/lc/x").header("x-backend")).isEqualTo(idle);
        assertThat(registry.get("gatehouse.requests").tag("route", "default/rr").tag("status_class", "2xx").counter().count())
                .isEqualTo(3.0);

        // what left is released: no series of the removed route, service or upstream stays registered
        assertThat(series("route", "default/gone")).isEmpty();
        assertThat(series("service", "default/s-gone")).isEmpty();
        assertThat(series("upstream", "default/gone")).isEmpty();
        assertThat(registry.find("gatehouse.retries.in.flight").tag("service", "default/s-rr").gauge()).isNotNull();
        assertThat(TestClient.get(proxy.port(), "/gone").status()).isEqualTo(404);

        release.countDown();
        assertThat(held.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
        assertThat(inFlight("default/lc", busy.equals("a") ? a : b)).isEqualTo(0.0);
    }

    @Test
    void targetsAddedInPlaceKeepTheirGaugesAcrossAnEditAndLoseThemWhenRemoved() throws Exception {
        Service svc = service("default/s", "default/u");
        Route r = route("default/r", "default/s").paths("/r").build();
        Upstream one = upstream("default/u", Upstream.Algorithm.ROUND_ROBIN, a);
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(svc), List.of(r), List.of(one), List.of()))).isEmpty();
        Upstream two = upstream("default/u", Upstream.Algorithm.ROUND_ROBIN, a, b);
        Snapshot endpoints = Fixtures.snapshot(2, List.of(svc), List.of(r), List.of(two), List.of());
        assertThat(proxy.applyEndpoints(endpoints, dev.gatehouse.config.SnapshotCodec.contentHash(endpoints), List.of("default/u")))
                .isEmpty();
        assertThat(inFlight("default/u", b)).isEqualTo(0.0);

        // an unrelated edit keeps the upstream as the endpoint delta left it, with both targets' gauges
        Route moved = route("default/r", "default/s").paths("/r2").build();
        assertThat(proxy.apply(Fixtures.snapshot(3, List.of(svc), List.of(moved), List.of(two), List.of()))).isEmpty();
        assertThat(inFlight("default/u", a)).isEqualTo(0.0);
        assertThat(inFlight("default/u", b)).isEqualTo(0.0);
        assertThat(TestClient.get(proxy.port(), "/r2").status()).isEqualTo(200);

        // the target leaves with a whole snapshot: its series go, the other's stay
        Upstream back = upstream("default/u", Upstream.Algorithm.ROUND_ROBIN, a);
        assertThat(proxy.apply(Fixtures.snapshot(4, List.of(svc), List.of(moved), List.of(back), List.of()))).isEmpty();
        assertThat(registry.find("gatehouse.upstream.target.in.flight").tag("target", "127.0.0.1:" + b.port()).meters()).isEmpty();
        assertThat(inFlight("default/u", a)).isEqualTo(0.0);
    }

    private CompiledRoute destination(String routeId) {
        return proxy.compiled().router().destination(routeId);
    }

    private double inFlight(String upstream, Backend target) {
        Gauge g = registry.find("gatehouse.upstream.target.in.flight").tag("upstream", upstream)
                .tag("target", "127.0.0.1:" + target.port()).gauge();
        assertThat(g).as("in-flight gauge of %s on %s", upstream, target.name()).isNotNull();
        return g.value();
    }

    private List<Meter.Id> series(String tag, String value) {
        return registry.getMeters().stream().map(Meter::getId).filter(id -> value.equals(id.getTag(tag))).toList();
    }
}
