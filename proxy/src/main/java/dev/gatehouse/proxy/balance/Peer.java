package dev.gatehouse.proxy.balance;

import dev.gatehouse.config.Upstream;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * A target ready to connect to.
 *
 * @param target  the target as configured
 * @param key     {@code host:port}, or {@code host:port@address} for one DNS record of a named
 *                target; upstream connection pools and balancer state are keyed by it, so a
 *                target that stays across snapshots keeps its pooled connections
 * @param address resolved when the snapshot is compiled (off the event loops); unresolved when
 *                the name did not resolve then, in which case connecting fails and is retried elsewhere
 */
public record Peer(Upstream.Target target, String key, InetSocketAddress address) {
    public static Peer of(Upstream.Target target) {
        InetSocketAddress address;
        try {
            address = new InetSocketAddress(InetAddress.getByName(target.host()), target.port());
        } catch (UnknownHostException e) {
            address = InetSocketAddress.createUnresolved(target.host(), target.port());
        }
        return new Peer(target, target.address(), address);
    }

    public int weight() {
        return target.weight();
    }
}
