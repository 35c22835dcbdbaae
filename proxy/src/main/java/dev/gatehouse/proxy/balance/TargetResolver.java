package dev.gatehouse.proxy.balance;

import dev.gatehouse.config.Durations;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.SingletonDnsServerAddressStreamProvider;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * DNS-based balancing (Kong's): a target named by DNS becomes one target per A/AAAA record.
 * Names are resolved with Netty's asynchronous resolver on a thread of its own, never on the
 * request path: once when a snapshot first names them (compile time, bounded wait), then every
 * {@link #TTL_FLOOR_PROPERTY} — the resolver's cache answers until the record's TTL, clamped to
 * [floor, ceiling], runs out, then asks again. A changed answer recompiles the snapshot (the
 * {@code onChange} callback, run off the resolver's thread); a failed lookup keeps the last good
 * answer.
 */
public final class TargetResolver implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TargetResolver.class);
    /** System property: {@code host:port} of the DNS server to ask; default: the system's ({@code /etc/resolv.conf}). */
    public static final String DNS_SERVER_PROPERTY = "gatehouse.proxy.dnsServer";
    /** System property: shortest TTL honoured, and how often names are re-checked; default {@code 1s}. */
    public static final String TTL_FLOOR_PROPERTY = "gatehouse.proxy.dnsTtlFloor";
    /** System property: longest TTL honoured; default {@code 300s}. */
    public static final String TTL_CEILING_PROPERTY = "gatehouse.proxy.dnsTtlCeiling";
    private static final long FIRST_LOOKUP_MILLIS = 5_000;

    private final Runnable onChange;
    private final Map<String, List<InetAddress>> answers = new ConcurrentHashMap<>();
    private final Set<String> names = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean changePending = new AtomicBoolean();
    private EventLoopGroup group;
    private DnsNameResolver resolver;
    private ScheduledFuture<?> poller;
    private boolean closed;

    /** @param onChange called (on another thread) when a name's answer changed */
    public TargetResolver(Runnable onChange) {
        this.onChange = onChange;
    }

    /**
     * True for an IPv4 or IPv6 literal and for {@code localhost}: such a target is used as it is
     * ({@code localhost} as the JVM resolves it, one address, so {@code localhost:9001} does not
     * become a second target on {@code ::1} that a backend bound to 127.0.0.1 refuses).
     */
    static boolean isLiteral(String host) {
        return NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host) || host.equalsIgnoreCase("localhost");
    }

    /**
     * The addresses of {@code host}: the last answer, or (first time) a lookup waited for up to
     * 5 s; null when it never resolved. Compile time only, never on an event loop.
     */
    synchronized List<InetAddress> addresses(String host) {
        names.add(host);
        List<InetAddress> known = answers.get(host);
        if (known != null || closed) {
            return known;
        }
        try {
            List<InetAddress> found = sorted(resolver().resolveAll(host).get(FIRST_LOOKUP_MILLIS, TimeUnit.MILLISECONDS));
            answers.put(host, found);
            return found;
        } catch (Exception e) {
            LOG.warn("cannot resolve target host {}: {}", host, e.toString());
            return null;
        } finally {
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Stops re-checking names no longer used. */
    synchronized void retain(Set<String> used) {
        names.retainAll(used);
        answers.keySet().retainAll(used);
    }

    private DnsNameResolver resolver() {
        if (resolver == null) {
            long floor = Durations.parseMillis(System.getProperty(TTL_FLOOR_PROPERTY, "1s"));
            long ceiling = Durations.parseMillis(System.getProperty(TTL_CEILING_PROPERTY, "300s"));
            group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("gatehouse-dns", true), NioIoHandler.newFactory());
            DnsNameResolverBuilder b = new DnsNameResolverBuilder(group.next())
                    .datagramChannelType(NioDatagramChannel.class)
                    .ttl((int) Math.max(1, floor / 1000), (int) Math.max(1, ceiling / 1000))
                    .negativeTtl(1)
                    .queryTimeoutMillis(2_000);
            String server = System.getProperty(DNS_SERVER_PROPERTY);
            if (server != null) {
                int colon = server.lastIndexOf(':');
                b.nameServerProvider(new SingletonDnsServerAddressStreamProvider(
                        new InetSocketAddress(server.substring(0, colon), Integer.parseInt(server.substring(colon + 1)))))
                        .searchDomains(List.of()).ndots(1);
            }
            resolver = b.build();
            long every = Math.max(100, floor);
            poller = group.next().scheduleWithFixedDelay(this::recheck, every, every, TimeUnit.MILLISECONDS);
        }
        return resolver;
    }

    /** On the resolver's thread: asks again for every name in use; the cache makes that free until the TTL. */
    private void recheck() {
        for (String host : names) {
            resolver.resolveAll(host).addListener(f -> {
                if (!f.isSuccess()) {
                    LOG.debug("re-resolving {} failed, keeping the last answer: {}", host, String.valueOf(f.cause()));
                    return;
                }
                @SuppressWarnings("unchecked")
                List<InetAddress> found = sorted((List<InetAddress>) f.getNow());
                List<InetAddress> before = answers.get(host);
                if (names.contains(host) && !found.isEmpty() && !found.equals(before)) {
                    answers.put(host, found);
                    LOG.info("target host {} now resolves to {}", host, found);
                    if (changePending.compareAndSet(false, true)) {
                        GlobalEventExecutor.INSTANCE.execute(() -> {
                            changePending.set(false);
                            onChange.run();
                        });
                    }
                }
            });
        }
    }

    private static List<InetAddress> sorted(List<InetAddress> addresses) {
        return addresses.stream().sorted(Comparator.comparing(InetAddress::getHostAddress)).toList();
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (poller != null) {
            poller.cancel(false);
        }
        if (resolver != null) {
            resolver.close();
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
