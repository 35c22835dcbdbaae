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
 * The meters of one route, resolved when the snapshot is compiled (by {@link RouteMetersFactory})
 * and held by the compiled route: the request path only increments and records what it holds,
 * never looks a meter up.
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
 *       <td>key-auth 401s: no_key, unknown_key, duplicate_key (routes with key-auth only)</td></tr>
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

    /** Meters in a private registry, for routes compiled without a metrics registry. */
    public static final RouteMeters DETACHED =
            new RouteMeters(new SimpleMeterRegistry(), NONE, NONE, false, new ArrayList<>());

    private final String route;
    private final String service;
    private final List<Meter.Id> ids;
    private final Counter[] requests = new Counter[5];
    private final Timer latency;
    private final Timer upstreamLatency;
    private final Counter retries;
    private final Counter retryBudgetExhausted;
    private final Counter noKey;
    private final Counter unknownKey;
    private final Counter duplicateKey;
    private final Counter[] tunnels = new Counter[TunnelOutcome.values().length];

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

    RouteMeters(MeterRegistry registry, String route, String service, boolean keyAuth,
                List<Meter.Id> registered) {
        int first = registered.size();
        this.route = route;
        this.service = service;
        Tags tags = Tags.of("route", route, "service", service);
        for (int i = 0; i < requests.length; i++) {
            requests[i] = keep(registered, Counter.builder("gatehouse.requests")
                    .description("Requests answered, by route, service and status class").tags(tags).tag("status_class", (i + 1) + "xx").register(registry));
        }
        latency = keep(registered, Timer.builder("gatehouse.request.duration")
                .description("From the request head to the last response byte, as the client sees it")
                .tags(tags).publishPercentileHistogram().minimumExpectedValue(MIN).maximumExpectedValue(MAX).register(registry));
        upstreamLatency = keep(registered, Timer.builder("gatehouse.upstream.duration")
                .description("From the request head written to the target to its response head")
                .tags(tags).publishPercentileHistogram().minimumExpectedValue(MIN).maximumExpectedValue(MAX).register(registry));
        retries = keep(registered, Counter.builder("gatehouse.retries").description("Attempts on another target after a failed one")
                .tags(tags).register(registry));
        retryBudgetExhausted = keep(registered, Counter.builder("gatehouse.retries.budget.exhausted")
                .description("Retries not made because the service's retry budget was spent").tags(tags).register(registry));
        if (keyAuth) {
            noKey = keyAuthCounter(registry, registered, "no_key");
            unknownKey = keyAuthCounter(registry, registered, "unknown_key");
            duplicateKey = keyAuthCounter(registry, registered, "duplicate_key");
        } else {
            noKey = null;
            unknownKey = null;
            duplicateKey = null;
        }
        for (TunnelOutcome o : TunnelOutcome.values()) {
            tunnels[o.ordinal()] = keep(registered, Counter.builder("gatehouse.websocket.tunnels.closed")
                    .description("WebSocket tunnels closed, by route, service and who ended them").tags(tags)
                    .tag("outcome", o.tag).register(registry));
        }
        this.ids = List.copyOf(registered.subList(first, registered.size()));
    }

    /** The ids of this route's series, for a route reused by the next snapshot to keep them (RouteMetersFactory#reuse). */
    List<Meter.Id> ids() {
        return ids;
    }

    private Counter keyAuthCounter(MeterRegistry registry, List<Meter.Id> registered, String reason) {
        return keep(registered, Counter.builder("gatehouse.keyauth.failures")
                .description("Requests refused by key-auth (401), by reason").tag("route", route).tag("reason", reason).register(registry));
    }

    private static <M extends Meter> M keep(List<Meter.Id> registered, M meter) {
        registered.add(meter.getId());
        return meter;
    }

    public String route() {
        return route;
    }

    public String service() {
        return service;
    }

    /** Key-auth refused a request with {@code message} (one of {@link ErrorReply}'s key-auth messages). */
    public void keyAuthFailed(String message) {
        Counter c = ErrorReply.NO_KEY.equals(message) ? noKey
                : ErrorReply.DUPLICATE_KEY.equals(message) ? duplicateKey : unknownKey;
        if (c != null) {
            c.increment();
        }
    }

    /** A retry of this route's request was refused by its service's retry budget. */
    public void retryBudgetExhausted() {
        retryBudgetExhausted.increment();
    }

    void tunnelClosed(TunnelOutcome outcome) {
        tunnels[outcome.ordinal()].increment();
    }

    void answered(int status, long nanos, long upstreamNanos, int retryCount) {
        int cls = status / 100;
        requests[cls < 1 ? 0 : cls > 5 ? 4 : cls - 1].increment();
        latency.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        if (upstreamNanos >= 0) {
            upstreamLatency.record(upstreamNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
        if (retryCount > 0) {
            retries.increment(retryCount);
        }
    }
}
