package dev.gatehouse.proxy.balance;

import dev.gatehouse.proxy.http.ClientAddress;
import io.netty.handler.codec.http.HttpRequest;

import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/**
 * The selector a compiled route holds for its upstream: the upstream's current {@link Balancer},
 * read through one volatile field (Armeria's {@code EndpointSelector} idea), so an endpoint delta
 * replaces an upstream's targets ({@link Balancers#replaceTargets}) without recompiling routes.
 *
 * <p>Indexes are per balancer: a request {@link #pin pins} the balancer once and asks it for every
 * attempt, so its picks, peers and tried set stay one list even when a delta lands mid-request;
 * its target finishes on the state it holds (a removed target drains). The unpinned methods read
 * the current balancer at each call and are for code that does not mix answers across calls.
 */
public final class UpstreamSelector implements TargetSelector {
    private volatile Balancer current;

    UpstreamSelector(Balancer initial) {
        this.current = Objects.requireNonNull(initial, "initial");
    }

    /** The balancer serving now. */
    public Balancer current() {
        return current;
    }

    void replace(Balancer next) {
        current = Objects.requireNonNull(next, "next");
    }

    @Override
    public TargetSelector pin() {
        return current;
    }

    @Override
    public List<Peer> peers() {
        return current.peers();
    }

    @Override
    public int pick(BitSet tried) {
        return current.pick(tried);
    }

    @Override
    public int pick(HttpRequest request, ClientAddress client, BitSet tried) {
        return current.pick(request, client, tried);
    }

    @Override
    public int pick(HttpRequest request, ClientAddress client, BitSet tried, long now) {
        return current.pick(request, client, tried, now);
    }

    @Override
    public TargetState state(int index) {
        return current.state(index);
    }

    @Override
    public String stickyCookie(HttpRequest request) {
        return current.stickyCookie(request);
    }
}
