package dev.gatehouse.proxy;

import java.time.Duration;
import java.util.Objects;

/**
 * How long the proxy keeps its connections to targets, per event loop and target (Kong's
 * {@code upstream_keepalive_idle_timeout} and {@code upstream_keepalive_max_requests}).
 *
 * <pre>
 * limit                     default  flag                                   when it is reached
 * idle connection           30 s     --upstream-keepalive-idle-timeout      closed by the pool's reaper (every 5 s, or as
 *                                                                           often when shorter); an HTTP/2 connection
 *                                                                           without streams likewise
 * requests per connection   10000    --upstream-keepalive-max-requests      closed after the request that reached its own
 *                                                                           limit, drawn per connection between 90 % and
 *                                                                           all of it, so connections opened together
 *                                                                           are not replaced together
 * </pre>
 *
 * @param idleTimeout how long a connection to a target may stay unused before it is closed; shorter than
 *                    the target's own keep-alive timeout, so the proxy closes first (a target closing an
 *                    idle connection first races the next request on it)
 * @param maxRequests the most requests one connection to a target carries
 */
public record UpstreamKeepalive(Duration idleTimeout, int maxRequests) {
    /** 30 s idle, 10 000 requests: the defaults of the flags. */
    public static final UpstreamKeepalive DEFAULTS = new UpstreamKeepalive(Duration.ofSeconds(30), 10_000);

    public UpstreamKeepalive {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        if (idleTimeout.compareTo(Duration.ofMillis(1)) < 0) {
            throw new IllegalArgumentException("idleTimeout: " + idleTimeout + " (expected: at least 1ms)");
        }
        if (maxRequests < 1) {
            throw new IllegalArgumentException("maxRequests: " + maxRequests + " (expected: at least 1)");
        }
    }
}
