package dev.gatehouse.proxy.observe;

import dev.gatehouse.proxy.http.ErrorReply;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The meters of one route, held by the compiled route: the request path only increments and
 * records what it holds, never looks a meter up. Its series are registered on the route's first
 * request, not when the snapshot is compiled: a proxy holding 10 000 routes of which few are used
 * holds the series of those few (each route's set is about 70 series, most of them the two
 * histograms' buckets). The first request of a route registers them once, under the route's
 * holder's lock; every later one reads one volatile field and allocates nothing.
 *
 * <p>Routes that stay across snapshots, or come back with the same route and service, share one
 * {@link Holder} (by route and service, {@link ProxyMetrics#holder}), so their counts go on; when
 * the applied snapshot no longer holds a route, its holder is retired and its series removed
 * ({@link RouteMetersFactory#commit()}). A request of the old snapshot still in flight then counts
 * into meters outside the registry: it is never registered again. A route that keeps its id and
 * service but drops key-auth keeps its three key-auth counters (and their counts) until it leaves.
 *
 * <table>
 *   <caption>Series (Prometheus names)</caption>
 *   <tr><td>{@code gatehouse_requests_total{route,service,status_class}}</td>
 *       <td>responses, by class 1xx..5xx</td></tr>
 *   <tr><td>{@code gatehouse_request_duration_seconds{route,service}}</td>
 *       <td>request head received to last response byte written (histogram)</td></tr>
 *   <tr><td>{@code gatehouse_upstream_duration_seconds{route,service}}</td>
 *       <td>request head written to the target until its response head (histogram)</td></tr>
 *   <tr><td>{@code gatehouse_retries_total{route,service}}</td>
 *       <td>attempts beyond the first</td></tr>
 *   <tr><td>{@code gatehouse_retries_budget_exhausted_total{route,service}}</td>
 *       <td>retries not made because the service's retry budget was spent (the request got the
 *       failed attempt's 502 or 504)</td></tr>
 *   <tr><td>{@code gatehouse_retries_in_flight{service}}</td>
 *       <td>retries of the service's requests in flight now (registered by {@link RouteMetersFactory#retriesInFlight})</td></tr>
 *   <tr><td>{@code gatehouse_keyauth_failures_total{route,reason}}</td>
 *       <td>key-auth 401s: no_key, unknown_key, duplicate_key (routes with key-auth only, from their first 401)</td></tr>
 *   <tr><td>{@code gatehouse_websocket_tunnels_closed_total{route,service,outcome}}</td>
 *       <td>WebSocket tunnels closed, by who ended them ({@link TunnelOutcome}); the 101 that opened
 *       each is in {@code gatehouse_requests_total{status_class="1xx"}}</td></tr>
 * </table>
 */
public final class RouteMeters {
    /** Label value for requests that matched no route, and for a route without a service. */
    public static final String NONE = "none";
    /** Histogram bounds: the percentile buckets span 1 ms to 60 s (the default upstream timeout). */
    static final Duration MIN = Duration.ofMillis(1);
    static final Duration MAX = Duration.ofSeconds(60);
    /** Where a retired holder's late requests count: a registry nobody scrapes. */
    private static final MeterRegistry RETIRED = new SimpleMeterRegistry();

    /** Meters in a private registry, for routes compiled without a metrics registry. */
    public static final RouteMeters DETACHED =
            new RouteMeters(new Holder(new SimpleMeterRegistry(), NONE, NONE), false);

    private final Holder holder;
    private final boolean keyAuth;

    RouteMeters(Holder holder, boolean keyAuth) {
        this.holder = java.util.Objects.requireNonNull(holder, "holder");
        this.keyAuth = keyAuth;
    }

    /** Who ended a WebSocket tunnel: the {@code outcome} label and the access log's {@code tunnel_outcome}. */
    public enum TunnelOutcome {
        /** the client closed its connection (FIN or reset) first */
        CLIENT_CLOSED,
        /** the target closed its connection first */
        UPSTREAM_CLOSED,
        /** no byte either way for the route's websocketIdleTimeout */
        IDLE_TIMEOUT,
        /** still open when the proxy's drain timeout ran out */
        DRAIN;

        public final String tag = name().toLowerCase(java.util.Locale.ROOT);
    }

    Holder holder() {
        return holder;
    }

    /**
     * The series of one route and service, registered on first use and removed when no applied
     * route uses them ({@link #retire}). One per route and service across snapshots.
     */
    static final class Holder {
        private final MeterRegistry registry;
        final String route;
        final String service;
        private volatile Series series;
        private volatile KeyAuthSeries keyAuth;
        private boolean retired; // guarded by this
        /** The last {@link RouteMetersFactory} generation that kept this holder; written and read by the one compiling thread. */
        long keptBy = -1;
        /** Whether the applied snapshot holds it ({@link ProxyMetrics}'s committed holders); written under its lock, read by the compiling thread. */
        volatile boolean committed;

        Holder(MeterRegistry registry, String route, String service) {
            this.registry = registry;
            this.route = route;
            this.service = service;
        }

        Series series() {
            Series s = series;
            return s != null ? s : register();
        }

        private synchronized Series register() {
            if (series == null) {
                series = new Series(retired ? RETIRED : registry, route, service);
            }
            return series;
        }

        KeyAuthSeries keyAuth() {
            KeyAuthSeries k = keyAuth;
            return k != null ? k : registerKeyAuth();
        }

        private synchronized KeyAuthSeries registerKeyAuth() {
            if (keyAuth == null) {
                keyAuth = new KeyAuthSeries(retired ? RETIRED : registry, route);
            }
            return keyAuth;
        }

        /** No applied route uses this holder any more: removes its series; late requests count outside the registry. */
        synchronized void retire() {
            retired = true;
            if (series != null) {
                series.ids.forEach(registry::remove);
            }
            if (keyAuth != null) {
                keyAuth.ids.forEach(registry::remove);
            }
        }

        /** The series registered so far (tests and the scrape-size figures). */
        synchronized int registered() {
            return (series == null ? 0 : series.ids.size()) + (keyAuth == null ? 0 : keyAuth.ids.size());
        }
    }

    /** A route's series but key-auth's, registered together on the route's first request. */
    private static final class Series {
        final List<Meter.Id> ids = new ArrayList<>();
        final Counter[] requests = new Counter[5];
        final Timer latency;
        final Timer upstreamLatency;
        final Counter retries;
        final Counter retryBudgetExhausted;
        final Counter[] tunnels = new Counter[TunnelOutcome.values().length];

        Series(MeterRegistry registry, String route, String service) {
            Tags tags = Tags.of("route", route, "service", service);
            for (int i = 0; i < requests.length; i++) {
                requests[i] = keep(Counter.builder("gatehouse.requests")
                        .description("Requests answered, by route, service and status class").tags(tags).tag("status_class", (i + 1) + "xx")
                        .register(registry));
            }
            latency = keep(Timer.builder("gatehouse.request.duration")
                    .description("From the request head to the last response byte, as the client sees it")
                    .tags(tags).publishPercentileHistogram().minimumExpectedValue(MIN).maximumExpectedValue(MAX).register(registry));
            upstreamLatency = keep(Timer.builder("gatehouse.upstream.duration")
                    .description("From the request head written to the target to its response head")
                    .tags(tags).publishPercentileHistogram().minimumExpectedValue(MIN).maximumExpectedValue(MAX).register(registry));
            retries = keep(Counter.builder("gatehouse.retries").description("Attempts on another target after a failed one")
                    .tags(tags).register(registry));
            retryBudgetExhausted = keep(Counter.builder("gatehouse.retries.budget.exhausted")
                    .description("Retries not made because the service's retry budget was spent").tags(tags).register(registry));
            for (TunnelOutcome o : TunnelOutcome.values()) {
                tunnels[o.ordinal()] = keep(Counter.builder("gatehouse.websocket.tunnels.closed")
                        .description("WebSocket tunnels closed, by route, service and who ended them").tags(tags)
                        .tag("outcome", o.tag).register(registry));
            }
        }

        private <M extends Meter> M keep(M meter) {
            ids.add(meter.getId());
            return meter;
        }
    }

    /** A key-auth route's failure counters, registered together on its first 401. */
    private static final class KeyAuthSeries {
        final List<Meter.Id> ids = new ArrayList<>(3);
        final Counter noKey;
        final Counter unknownKey;
        final Counter duplicateKey;

        KeyAuthSeries(MeterRegistry registry, String route) {
            noKey = counter(registry, route, "no_key");
            unknownKey = counter(registry, route, "unknown_key");
            duplicateKey = counter(registry, route, "duplicate_key");
        }

        private Counter counter(MeterRegistry registry, String route, String reason) {
            Counter c = Counter.builder("gatehouse.keyauth.failures").description("Requests refused by key-auth (401), by reason")
                    .tag("route", route).tag("reason", reason).register(registry);
            ids.add(c.getId());
            return c;
        }
    }

    public String route() {
        return holder.route;
    }

    public String service() {
        return holder.service;
    }

    /** Key-auth refused a request with {@code message} (one of {@link ErrorReply}'s key-auth messages). */
    public void keyAuthFailed(String message) {
        if (!keyAuth) {
            return;
        }
        KeyAuthSeries k = holder.keyAuth();
        (ErrorReply.NO_KEY.equals(message) ? k.noKey : ErrorReply.DUPLICATE_KEY.equals(message) ? k.duplicateKey : k.unknownKey)
                .increment();
    }

    /** A retry of this route's request was refused by its service's retry budget. */
    public void retryBudgetExhausted() {
        holder.series().retryBudgetExhausted.increment();
    }

    void tunnelClosed(TunnelOutcome outcome) {
        holder.series().tunnels[outcome.ordinal()].increment();
    }

    void answered(int status, long nanos, long upstreamNanos, int retryCount) {
        Series s = holder.series();
        int cls = status / 100;
        s.requests[cls < 1 ? 0 : cls > 5 ? 4 : cls - 1].increment();
        // the timers are recorded off the request path, by the loop's drain (TimerSamples)
        TimerSamples.record(s.latency, nanos);
        if (upstreamNanos >= 0) {
            TimerSamples.record(s.upstreamLatency, upstreamNanos);
        }
        if (retryCount > 0) {
            s.retries.increment(retryCount);
        }
    }
}
