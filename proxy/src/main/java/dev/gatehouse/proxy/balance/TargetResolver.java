package dev.gatehouse.proxy.balance;

import dev.gatehouse.config.Durations;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * DNS-based balancing (Kong's): a target named by DNS becomes one target per A/AAAA record.
 * Names are resolved with Netty's asynchronous resolver on a thread of its own; nothing ever
 * waits for an answer, and no lock is held across a lookup. A snapshot is compiled with the
 * answers known then ({@link #known}); a name without one is a single target by name, which the
 * data plane's resolver resolves when it connects. When a snapshot is committed
 * ({@link #use}), names without an answer are looked up at once, and every
 * {@link #TTL_FLOOR_PROPERTY} each name in use is asked again — the resolver's cache answers
 * until the record's TTL, clamped to [floor, ceiling], runs out. A first or changed answer
 * recompiles the snapshot (the {@code onChange} callback, run off the resolver's thread); a
 * failed lookup keeps the last good answer.
 */
public final class TargetResolver implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TargetResolver.class);
    /** System property: {@code ip:port} of the DNS server to ask; default: the system's ({@code /etc/resolv.conf}). */
    public static final String DNS_SERVER_PROPERTY = "gatehouse.proxy.dnsServer";
    /** System property: shortest TTL honoured, and how often names are re-checked; default {@code 1s}. */
    public static final String TTL_FLOOR_PROPERTY = "gatehouse.proxy.dnsTtlFloor";
    /** System property: longest TTL honoured; default {@code 300s}. */
    public static final String TTL_CEILING_PROPERTY = "gatehouse.proxy.dnsTtlCeiling";

    private final Runnable onChange;
    private final Map<String, List<InetAddress>> answers = new ConcurrentHashMap<>();
    /** Names of the committed snapshot. */
    private volatile Set<String> names = Set.of();
    /** Names with a lookup under way: a silent server never piles up queries. */
    private final Set<String> asking = ConcurrentHashMap.newKeySet();
    /** Names whose failure was logged at warn; the next failures go to debug until one succeeds. */
    private final Set<String> failing = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean changePending = new AtomicBoolean();
    /** Guards starting and stopping the resolver's thread; never held across a lookup. */
    private final Object lifecycle = new Object();
    private EventLoopGroup group;
    private DnsNameResolver resolver;
    private ScheduledFuture<?> poller;
    private volatile boolean closed;

    /** @param onChange called (on another thread) when a name's answer arrived or changed */
    public TargetResolver(Runnable onChange) {
        this.onChange = onChange;
    }

    /**
     * True for an IPv4 or IPv6 literal and for {@code localhost}: such a target is used as it is
     * ({@code localhost} as the loopback address, one address, so {@code localhost:9001} does not
     * become a second target on {@code ::1} that a backend bound to 127.0.0.1 refuses).
     */
    static boolean isLiteral(String host) {
        return NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host) || host.equalsIgnoreCase("localhost");
    }

    /** The last answer for {@code host}, sorted; null before the first. Never waits. */
    List<InetAddress> known(String host) {
        return answers.get(host);
    }

    /**
     * The names the snapshot just committed uses: looks up (asynchronously) those without an
     * answer, forgets the others' answers and stops re-checking them. Never waits.
     */
    void use(Set<String> used) {
        names = Set.copyOf(used);
        answers.keySet().retainAll(names);
        failing.retainAll(names);
        if (closed || used.isEmpty()) {
            return;
        }
        EventLoop loop = started();
        if (loop != null) {
            for (String host : names) {
                if (!answers.containsKey(host)) {
                    loop.execute(() -> lookup(host));
                }
            }
        }
    }

    /** The resolver's loop, starting it on first use; null once closed. */
    private EventLoop started() {
        synchronized (lifecycle) {
            if (closed) {
                return null;
            }
            if (group == null) {
                long floor = Durations.parseMillis(System.getProperty(TTL_FLOOR_PROPERTY, "1s"));
                long ceiling = Durations.parseMillis(System.getProperty(TTL_CEILING_PROPERTY, "300s"));
                group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("gatehouse-dns", true), NioIoHandler.newFactory());
                resolver = DnsResolvers.builder()
                        .eventLoop(group.next())
                        .datagramChannelType(NioDatagramChannel.class)
                        .ttl((int) Math.max(1, floor / 1000), (int) Math.max(1, ceiling / 1000))
                        .negativeTtl(1)
                        .build();
                long every = Math.max(100, floor);
                poller = group.next().scheduleWithFixedDelay(this::recheck, every, every, TimeUnit.MILLISECONDS);
            }
            return group.next();
        }
    }

    /** On the resolver's thread: asks again for every name in use; the cache makes that free until the TTL. */
    private void recheck() {
        names.forEach(this::lookup);
    }

    /** On the resolver's thread. */
    private void lookup(String host) {
        if (closed || !names.contains(host) || !asking.add(host)) {
            return;
        }
        resolver.resolveAll(host).addListener((Future<List<InetAddress>> f) -> {
            asking.remove(host);
            answered(host, f);
        });
    }

    private void answered(String host, Future<List<InetAddress>> f) {
        if (!f.isSuccess()) {
            String kept = answers.containsKey(host) ? "last-answer" : "name-at-connect";
            if (failing.add(host)) {
                LOG.warn("event=dns.lookup-failed host={} using={} error=\"{}\"", host, kept, String.valueOf(f.cause()));
            } else {
                LOG.debug("event=dns.lookup-failed host={} using={} error=\"{}\"", host, kept, String.valueOf(f.cause()));
            }
            return;
        }
        failing.remove(host);
        List<InetAddress> found = f.getNow().stream().sorted(Comparator.comparing(InetAddress::getHostAddress)).toList();
        if (!names.contains(host) || found.isEmpty() || found.equals(answers.get(host))) {
            return;
        }
        List<InetAddress> before = answers.put(host, found);
        LOG.info("event=dns.answer host={} addresses={} before={}", host, found, before);
        if (changePending.compareAndSet(false, true)) {
            GlobalEventExecutor.INSTANCE.execute(() -> {
                changePending.set(false);
                onChange.run();
            });
        }
    }

    @Override
    public void close() {
        synchronized (lifecycle) {
            closed = true;
            if (poller != null) {
                poller.cancel(false);
            }
            if (resolver != null) {
                resolver.close();
            }
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
