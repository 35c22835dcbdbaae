package dev.gatehouse.proxy.balance;

import dev.gatehouse.config.Upstream;
import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * A target ready to connect to.
 *
 * @param target  the target as configured
 * @param key     {@code host:port}, or {@code host:port@address} for one DNS record of a named
 *                target; upstream connection pools and balancer state are keyed by it, so a
 *                target that stays across snapshots keeps its pooled connections
 * @param address an IP literal or {@code localhost} as is; a DNS name either one record of its
 *                last answer or, before the first answer, unresolved: every {@code Bootstrap}
 *                of the proxy resolves it with the asynchronous DNS resolver when connecting
 */
public record Peer(Upstream.Target target, String key, InetSocketAddress address) {
    /** The target by itself, without any lookup: a literal, {@code localhost}, or an unresolved name. */
    public static Peer of(Upstream.Target target) {
        return new Peer(target, target.address(), address(target.host(), target.port()));
    }

    private static InetSocketAddress address(String host, int port) {
        InetAddress literal = NetUtil.createInetAddressFromIpAddressString(host);
        if (literal != null) {
            return new InetSocketAddress(literal, port);
        }
        if (host.equalsIgnoreCase("localhost")) {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    public int weight() {
        return target.weight();
    }
}
