package dev.gatehouse.proxy.balance;

import dev.gatehouse.config.Upstream;
import dev.gatehouse.proxy.http.ClientAddress;
import io.netty.handler.codec.http.HttpRequest;

import java.util.BitSet;

/**
 * How one balancing algorithm picks a target among a {@link Balancer}'s (as Armeria's
 * {@code EndpointSelectionStrategy}): one class per algorithm, built with the balancer when the
 * snapshot compiles. A strategy reads the balancer's targets and weights, and the per-event-loop
 * or per-target state kept in {@link UpstreamState} and {@link TargetState}; it never locks on an
 * event loop.
 */
interface SelectionStrategy {
    /**
     * @param strict only targets that are up (healthy, not ejected); false when failing open
     * @return the index of the target, or -1 when none is eligible
     */
    int pick(HttpRequest request, ClientAddress client, BitSet tried, long now, boolean strict);

    /** The strategy of {@code upstream}'s algorithm for balancer {@code b}. */
    static SelectionStrategy of(Upstream upstream, Balancer b) {
        return switch (upstream.algorithm()) {
            case ROUND_ROBIN -> new RoundRobin(b);
            case LEAST_CONNECTIONS -> new LeastConnections(b);
            case LEAST_LATENCY -> new LeastLatency(b);
            case CONSISTENT_HASH -> new ConsistentHash(b, upstream, new RoundRobin(b));
        };
    }
}
