package dev.gatehouse.proxy.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * The proxy's connections to targets, opened and closed by reason, registered once:
 * {@code gatehouse_upstream_connections_opened_total} and
 * {@code gatehouse_upstream_connections_closed_total{reason}}, HTTP/1.1 and HTTP/2 connections alike
 * (an HTTP/2 connection counts once, whatever its streams). The keep-alive limits
 * ({@code --upstream-keepalive-idle-timeout}, {@code --upstream-keepalive-max-requests}) show here as
 * rates, and so does a target that closes the connections the proxy would keep: opened at the rate of
 * requests means no connection is reused.
 */
public final class UpstreamConnectionMeters {
    /** Why a connection to a target closed. */
    public enum Reason {
        /** idle in the pool (HTTP/2: without a stream) for the keep-alive idle timeout */
        IDLE_TIMEOUT,
        /** carried its share of the keep-alive request limit (HTTP/1.1) */
        MAX_REQUESTS,
        /**
         * closed by the proxy at the end of an exchange that left it unusable: the target's answer
         * asked to close (or had no length), an attempt that failed or timed out, bytes beyond the
         * answer, a request body not sent in full (HTTP/1.1)
         */
        UNUSABLE,
        /** closed or reset by the target while idle in the pool, or after its GOAWAY (HTTP/2) */
        TARGET_CLOSED,
        /** ended while a request was on it, not by the proxy's choice: the target closed or reset it (HTTP/1.1) */
        IN_USE,
        /** its target left the configuration */
        TARGET_REMOVED,
        /** the proxy stopped */
        SHUTDOWN;

        final String tag = name().toLowerCase(Locale.ROOT);
    }

    /** Counts nothing: for pools built outside a proxy (tests). */
    public static final UpstreamConnectionMeters NONE = new UpstreamConnectionMeters(null);

    private final Counter opened;
    private final Map<Reason, Counter> closed = new EnumMap<>(Reason.class);

    public UpstreamConnectionMeters(MeterRegistry registry) {
        opened = registry == null ? null : Counter.builder("gatehouse.upstream.connections.opened")
                .description("Connections to targets opened (HTTP/2: ready, the target's SETTINGS received)").register(registry);
        if (registry != null) {
            for (Reason r : Reason.values()) {
                closed.put(r, Counter.builder("gatehouse.upstream.connections.closed").tag("reason", r.tag)
                        .description("Connections to targets closed, by reason").register(registry));
            }
        }
    }

    public void opened() {
        if (opened != null) {
            opened.increment();
        }
    }

    public void closed(Reason reason) {
        Counter c = closed.get(reason);
        if (c != null) {
            c.increment();
        }
    }
}
