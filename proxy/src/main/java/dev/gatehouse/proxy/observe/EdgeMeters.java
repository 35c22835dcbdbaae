package dev.gatehouse.proxy.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * What the edge refused or cut, one counter per reason, registered once:
 * {@code gatehouse_client_refused_total{reason}}. Every client-side limit and every refusal of
 * the strict gate lands here, so an operator sees an attack or a misconfigured client as a rate
 * without reading logs.
 */
public final class EdgeMeters {
    /** Why a request or connection was refused or cut. */
    public enum Reason {
        /** malformed request refused by the strict gate (400, 405, 501, 505) */
        BAD_REQUEST,
        /** request path refused by normalisation, or an encoded slash on a route without allowEncodedSlashes (400) */
        BAD_PATH,
        /** request head not complete in time (408) */
        HEAD_TIMEOUT,
        /** request line too long (414) */
        REQUEST_LINE,
        /** header block too large or too many headers (431) */
        HEADER_SIZE,
        /** request body above the route's maxBodySize (413) */
        BODY_SIZE,
        /** over TLS, a host another certificate than the connection's SNI name is served for (421) */
        MISDIRECTED,
        /** keep-alive or request-body idle timeout: closed without a response */
        IDLE_TIMEOUT,
        /** a connection reached its request cap: its last response carried Connection: close */
        MAX_REQUESTS,
        /** a connection beyond --max-connections, closed at accept */
        MAX_CONNECTIONS,
        /** HTTP/2: more RST_STREAM frames than allowed per window (CVE-2023-44487): GOAWAY ENHANCE_YOUR_CALM, closed */
        HTTP2_RAPID_RESET,
        /** HTTP/2: a header block (HEADERS + CONTINUATION) past the header list limit: GOAWAY, closed */
        HTTP2_HEADER_FLOOD,
        /** HTTP/2: a flood of control frames (SETTINGS, PING) or empty DATA frames: GOAWAY ENHANCE_YOUR_CALM, closed */
        HTTP2_FRAME_FLOOD,
        /** HTTP/2: any other connection error of the client (bad frame, bad preface): GOAWAY, closed */
        HTTP2_PROTOCOL_ERROR,
        /** HTTP/2: a stream beyond SETTINGS_MAX_CONCURRENT_STREAMS: RST_STREAM REFUSED_STREAM */
        HTTP2_REFUSED_STREAM,
        /** HTTP/2: a malformed request (a connection-specific header, a bad pseudo-header): RST_STREAM PROTOCOL_ERROR */
        HTTP2_MALFORMED;

        final String tag = name().toLowerCase(Locale.ROOT);
    }

    /** Counts nothing: for handlers built outside a proxy (tests). */
    public static final EdgeMeters NONE = new EdgeMeters(null);

    private final Map<Reason, Counter> counters = new EnumMap<>(Reason.class);
    private final Counter forwardedTrusted;
    private final Counter forwardedReplaced;

    public EdgeMeters(MeterRegistry registry) {
        forwardedTrusted = registry == null ? null : forwardedFor(registry, "trusted");
        forwardedReplaced = registry == null ? null : forwardedFor(registry, "untrusted");
        if (registry != null) {
            for (Reason r : Reason.values()) {
                counters.put(r, Counter.builder("gatehouse.client.refused").tag("reason", r.tag)
                        .description("Requests and connections the edge refused or cut, by reason").register(registry));
            }
        }
    }

    private static Counter forwardedFor(MeterRegistry registry, String peer) {
        return Counter.builder("gatehouse.forwarded.for").tag("peer", peer)
                .description("Requests that arrived with X-Forwarded-For, by peer: trusted (kept, the peer appended) "
                        + "or untrusted (replaced by the peer's address)").register(registry);
    }

    /**
     * A request arrived with {@code X-Forwarded-For}: {@code gatehouse_forwarded_for_total{peer}}.
     * Many {@code untrusted} ones behind a load balancer mean {@code --trusted-proxies} misses it.
     */
    public void forwardedFor(boolean trustedPeer) {
        Counter c = trustedPeer ? forwardedTrusted : forwardedReplaced;
        if (c != null) {
            c.increment();
        }
    }

    public void count(Reason reason) {
        Counter c = counters.get(reason);
        if (c != null) {
            c.increment();
        }
    }
}
