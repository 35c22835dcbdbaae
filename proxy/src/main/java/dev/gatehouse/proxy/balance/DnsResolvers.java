package dev.gatehouse.proxy.balance;

import io.netty.channel.socket.DatagramChannel;
import io.netty.resolver.AddressResolverGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.SingletonDnsServerAddressStreamProvider;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * How the proxy asks DNS, in one place: Netty's asynchronous resolver (UDP on an event loop,
 * {@code /etc/hosts} first, then the servers and search domains of {@code /etc/resolv.conf}, or
 * the one server of {@link TargetResolver#DNS_SERVER_PROPERTY}), each query bounded by
 * {@value #QUERY_TIMEOUT_MILLIS} ms. Every {@code Bootstrap} of the proxy gets
 * {@link #forBootstrap}: without it Netty resolves an unresolved address with the JDK's blocking
 * {@code InetAddress} lookup on the event loop, stalling every connection of that loop.
 */
public final class DnsResolvers {
    /** Bound on one DNS query; a name whose server is silent fails after it. */
    public static final long QUERY_TIMEOUT_MILLIS = 2_000;

    private DnsResolvers() {
    }

    /** A resolver builder with the proxy's settings; the caller sets the event loop and channel type. */
    static DnsNameResolverBuilder builder() {
        DnsNameResolverBuilder b = new DnsNameResolverBuilder().queryTimeoutMillis(QUERY_TIMEOUT_MILLIS);
        String server = System.getProperty(TargetResolver.DNS_SERVER_PROPERTY);
        if (server != null) {
            int colon = server.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException(TargetResolver.DNS_SERVER_PROPERTY + ": \"" + server
                        + "\" (expected: host:port of a DNS server)");
            }
            b.nameServerProvider(new SingletonDnsServerAddressStreamProvider(
                    new InetSocketAddress(server.substring(0, colon), Integer.parseInt(server.substring(colon + 1)))))
                    .searchDomains(List.of()).ndots(1);
        }
        return b;
    }

    /**
     * The resolver for a {@code Bootstrap} whose channels run on event loops of the transport of
     * {@code datagram}: one asynchronous resolver per event loop, on that loop, created on the
     * loop's first connect (call {@code getResolver(loop)} to create it earlier: creating the
     * first one reads {@code /etc/hosts} and {@code /etc/resolv.conf}). Close it with the
     * Bootstrap's owner.
     */
    public static AddressResolverGroup<InetSocketAddress> forBootstrap(Class<? extends DatagramChannel> datagram) {
        return new DnsAddressResolverGroup(builder().datagramChannelType(datagram));
    }
}
