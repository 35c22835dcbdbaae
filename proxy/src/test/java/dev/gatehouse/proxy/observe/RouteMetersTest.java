package dev.gatehouse.proxy.observe;

import dev.gatehouse.config.Route;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Lazy route series: registered on first use, shared by a route that stays, gone with it for good. */
class RouteMetersTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ProxyMetrics metrics = new ProxyMetrics(registry);

    private long series(String route) {
        return registry.getMeters().stream().filter(m -> route.equals(m.getId().getTag("route"))).count();
    }

    @Test
    void compilingRegistersNothingAndTheFirstRequestRegistersTheRoutesSeriesOnce() {
        RouteMetersFactory f = metrics.factory();
        RouteMeters a = f.route("ns/a", "ns/s", null, null, null);
        RouteMeters keyed = f.route("ns/k", "ns/s", new Route.KeyAuth(List.of(), true, true, true, null), null, null);
        f.commit();
        assertThat(series("ns/a")).isZero();
        assertThat(series("ns/k")).isZero();

        a.answered(200, 1_000_000, 500_000, 0);
        long registered = series("ns/a");
        assertThat(registered).isGreaterThan(5);
        a.answered(503, 1_000_000, -1, 2);
        assertThat(series("ns/a")).isEqualTo(registered);
        assertThat(registry.get("gatehouse.requests").tag("route", "ns/a").tag("status_class", "5xx").counter().count()).isEqualTo(1);
        assertThat(registry.get("gatehouse.retries").tag("route", "ns/a").counter().count()).isEqualTo(2);

        keyed.keyAuthFailed(dev.gatehouse.proxy.http.ErrorReply.NO_KEY);
        assertThat(registry.get("gatehouse.keyauth.failures").tag("route", "ns/k").tag("reason", "no_key").counter().count()).isEqualTo(1);
        a.keyAuthFailed(dev.gatehouse.proxy.http.ErrorReply.NO_KEY); // a route without key-auth has no such counters
        assertThat(registry.find("gatehouse.keyauth.failures").tag("route", "ns/a").counters()).isEmpty();
    }

    @Test
    void aRouteThatStaysKeepsItsCountsAndOneThatLeavesIsNeverRegisteredAgain() {
        RouteMetersFactory first = metrics.factory();
        RouteMeters before = first.route("ns/a", "ns/s", null, null, null);
        RouteMeters leaving = first.route("ns/b", "ns/s", null, null, null);
        first.commit();
        before.answered(200, 1, -1, 0);
        leaving.answered(200, 1, -1, 0);

        RouteMetersFactory second = metrics.factory();
        RouteMeters after = second.route("ns/a", "ns/s", null, null, null); // recompiled (changed), same id and service
        second.commit();
        after.answered(200, 1, -1, 0);
        assertThat(registry.get("gatehouse.requests").tag("route", "ns/a").tag("status_class", "2xx").counter().count()).isEqualTo(2);
        assertThat(series("ns/b")).isZero();

        leaving.answered(200, 1, -1, 0); // a request of the old snapshot still in flight
        assertThat(series("ns/b")).isZero();

        RouteMetersFactory refused = metrics.factory();
        refused.route("ns/c", "ns/s", null, null, null);
        refused.abandon();
        assertThat(series("ns/c")).isZero();
        assertThat(series("ns/a")).isGreaterThan(5);
    }
}
