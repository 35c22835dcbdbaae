package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Service;
import dev.gatehouse.proxy.Transport;
import dev.gatehouse.proxy.UpstreamKeepalive;
import dev.gatehouse.proxy.balance.DnsResolvers;
import dev.gatehouse.proxy.balance.Peer;
import dev.gatehouse.proxy.http1.UpstreamCodec;
import dev.gatehouse.proxy.observe.UpstreamConnectionMeters;
import dev.gatehouse.proxy.observe.UpstreamConnectionMeters.Reason;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.ScheduledFuture;

import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Connections to targets, for one event loop: every method runs on that loop, so there are no
 * locks. This class keeps the HTTP/1.1 keep-alive connections and holds the loop's
 * {@link Http2Pool} for services that speak HTTP/2 ({@link #connector} picks by protocol).
 * Connections are keyed by target address ({@code host:port}), so targets that stay across
 * snapshot swaps keep theirs. An idle connection keeps one read pending, so a close by the target
 * removes it at once; one idle longer than the idle timeout, or one that served its share of requests
 * (between 90 % and all of the request limit, drawn per connection: {@link #requestLimit}), is closed
 * ({@link UpstreamKeepalive}: 30 s and 10 000 by default).
 */
public final class UpstreamPool implements Connector {
    /**
     * How far below the request limit a connection's own limit may be drawn, as a fraction of it.
     * Connections opened together (a pool filling at the start of a load, or after an idle spell)
     * would otherwise all reach the limit within a few requests of each other, and be closed and
     * opened again together: a burst of closes and connects on the loop at once, each of them through
     * code the steady state rarely runs (docs/decisions.md, "The p99 at 32 connections: a proxy in service").
     */
    static final double LIMIT_SPREAD = 0.1;
    /**
     * A target's queue left empty for this many idle timeouts (10 minutes by default) is dropped: a
     * target known by DNS name has one queue per address, and addresses that stop being returned
     * would otherwise pile up between two snapshots. Long against an idle spell, so the queues of
     * targets in use stay (see {@link #reapIdle}).
     */
    static final int FORGET_EMPTY_QUEUE_TIMEOUTS = 20;
    public static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

    /** Pool keys of targets reached over TLS start with this, so http and https never share. */
    static final String TLS_KEY_PREFIX = "https://";

    private final EventLoop loop;
    private final Bootstrap bootstrap;
    /** Resolves a target known by name only, asynchronously on this loop (never the JDK's blocking lookup). */
    private final AddressResolverGroup<InetSocketAddress> dns;
    private final UpstreamTls tls;
    private final Map<String, Idle> idle = new HashMap<>();
    private final ScheduledFuture<?> reaper;
    private final long idleTimeoutNanos;
    private final long forgetEmptyNanos;
    private final int maxRequests;
    private final UpstreamConnectionMeters meters;
    private final Http2Pool http2;

    /**
     * @param tls   the client TLS context for https services (JDK trust, hostname verification on)
     * @param h2Tls the same trust offering only {@code h2} by ALPN, for grpcs services ({@link Http2Pool#alpn})
     */
    public UpstreamPool(EventLoop loop, Transport transport, SslContext tls, SslContext h2Tls) {
        this(loop, transport, UpstreamTls.of(tls, h2Tls), UpstreamKeepalive.DEFAULTS, UpstreamConnectionMeters.NONE);
    }

    /**
     * @param tls       the client TLS contexts of https and grpcs services
     * @param keepalive how long connections are kept ({@code --upstream-keepalive-idle-timeout}, {@code --upstream-keepalive-max-requests})
     * @param meters    counts the connections opened and closed ({@code gatehouse_upstream_connections_*})
     */
    public UpstreamPool(EventLoop loop, Transport transport, UpstreamTls tls, UpstreamKeepalive keepalive,
                        UpstreamConnectionMeters meters) {
        this(loop, transport, tls, keepalive.idleTimeout().toNanos(), keepalive.maxRequests(), meters);
    }

    /**
     * @param idleTimeoutNanos how long an HTTP/1.1 connection may stay idle ({@link #reapEvery})
     * @param maxRequests the most requests a connection carries; each draws its own limit at most {@link #LIMIT_SPREAD} below
     */
    UpstreamPool(EventLoop loop, Transport transport, SslContext tls, SslContext h2Tls, long idleTimeoutNanos, int maxRequests,
                 UpstreamConnectionMeters meters) {
        this(loop, transport, UpstreamTls.of(tls, h2Tls), idleTimeoutNanos, maxRequests, meters);
    }

    private UpstreamPool(EventLoop loop, Transport transport, UpstreamTls tls, long idleTimeoutNanos, int maxRequests,
                         UpstreamConnectionMeters meters) {
        if (idleTimeoutNanos <= 0) {
            throw new IllegalArgumentException("idleTimeoutNanos: " + idleTimeoutNanos + " (expected: > 0)");
        }
        if (maxRequests < 1) {
            throw new IllegalArgumentException("maxRequests: " + maxRequests + " (expected: >= 1)");
        }
        this.maxRequests = maxRequests;
        this.meters = meters;
        this.loop = loop;
        this.idleTimeoutNanos = idleTimeoutNanos;
        this.forgetEmptyNanos = FORGET_EMPTY_QUEUE_TIMEOUTS * idleTimeoutNanos;
        this.tls = tls;
        this.dns = DnsResolvers.forBootstrap(transport.datagramChannel());
        // built at start-up rather than by the first connect, in a task of the loop's own: a proxy's start
        // waits for its pools, not for their resolvers (the first one reads /etc/hosts and /etc/resolv.conf)
        loop.execute(() -> dns.getResolver(loop));
        this.bootstrap = transport.bootstrap(loop)
                .resolver(dns)
                // no option(TCP_NODELAY, true): every transport's socket config turns it on when the channel
                // is made, so ours was a second setsockopt per upstream connection (UpstreamSocketTest holds it on)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK);
        this.http2 = new Http2Pool(loop, bootstrap.clone(), tls, idleTimeoutNanos, meters);
        long reapEvery = reapEvery(idleTimeoutNanos);
        this.reaper = loop.scheduleAtFixedRate(this::reapIdle, reapEvery, reapEvery, TimeUnit.NANOSECONDS);
    }

    /** How often a pool looks for connections idle past {@code idleTimeoutNanos}: every 5 s, or as often as a shorter timeout. */
    static long reapEvery(long idleTimeoutNanos) {
        return Math.min(TimeUnit.SECONDS.toNanos(5), idleTimeoutNanos);
    }

    /** The pool that reaches targets of {@code protocol}: this one for HTTP/1.1, the HTTP/2 one for h2c, grpc, grpcs. */
    Connector connector(Service.Protocol protocol) {
        return protocol.http2() ? http2 : this;
    }

    /** An idle connection to the attempt's target, else a new one. */
    @Override
    public void open(UpstreamAttempt attempt, boolean tls, long connectMillis) {
        Channel pooled = acquire(key(attempt.peer(), tls));
        if (pooled != null) {
            attempt.opened(pooled, null);
            return;
        }
        if (this.tls.failed(attempt, tls)) {
            return;
        }
        connect(attempt.peer(), tls, connectMillis).addListener((ChannelFuture f) ->
                attempt.opened(f.isSuccess() ? f.channel() : null, f.cause()));
    }

    /** An idle open connection to {@code key}, or null. */
    Channel acquire(String key) {
        Idle q = idle.get(key);
        if (q == null) {
            return null;
        }
        for (Channel ch = q.pollLast(); ch != null; ch = q.pollLast()) {
            if (ch.isActive()) {
                return ch;
            }
            ch.close();
        }
        return null;
    }

    static String key(Peer peer, boolean https) {
        return https ? TLS_KEY_PREFIX + peer.key() : peer.key();
    }

    /**
     * A new connection to {@code peer}, on this pool's loop; over TLS (SNI and certificate
     * checked against the target's host) when {@code https}, the handshake bounded by the
     * connect timeout. A failed handshake fails the first write, so the request counts as not sent.
     */
    ChannelFuture connect(Peer peer, boolean https, long connectMillis) {
        UpstreamPool pool = this;
        String key = key(peer, https);
        bootstrap.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectMillis));
        bootstrap.handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                if (https) {
                    SslHandler handler = tls.http1().newHandler(ch.alloc(), peer.target().host(), peer.target().port());
                    handler.setHandshakeTimeoutMillis(connectMillis);
                    ch.pipeline().addLast("tls", handler);
                }
                UpstreamCodec codec = new UpstreamCodec();
                ch.pipeline().addLast("codec", codec);
                ch.pipeline().addLast("upstream",
                        new UpstreamHandler(pool, key, codec, requestLimit(maxRequests, ThreadLocalRandom.current()), meters));
            }
        });
        return bootstrap.connect(peer.address());
    }

    /** A connection's own request limit: {@code max} less up to {@link #LIMIT_SPREAD} of it, evenly drawn. */
    static int requestLimit(int max, Random random) {
        return max - random.nextInt((int) (max * LIMIT_SPREAD) + 1);
    }

    /**
     * Takes back a connection whose attempt ended: pooled when {@code reuse} and it can carry
     * another request; closed otherwise. A connection whose target sent bytes beyond its answer
     * ({@link UpstreamCodec#atRest}) is closed: those bytes must never become the answer to the
     * next request written on it.
     */
    @Override
    public void release(Channel ch, boolean reuse, long now) {
        UpstreamHandler h = ch.pipeline().get(UpstreamHandler.class);
        if (h != null) {
            h.detach();
        }
        if (h == null || !reuse || !ch.isActive() || !ch.eventLoop().equals(loop)) {
            // closed by the target already (its own reason, when its close is seen), else unusable
            UpstreamHandler.close(ch, h, Reason.UNUSABLE);
            return;
        }
        if (h.requests >= h.requestLimit) {
            UpstreamHandler.close(ch, h, Reason.MAX_REQUESTS);
            return;
        }
        UpstreamCodec codec = ch.pipeline().get(UpstreamCodec.class);
        if (codec == null || !codec.atRest()) {
            UpstreamHandler.BYTES_AFTER_RESPONSE.warn("target={} when=\"with its answer\"", h.key());
            UpstreamHandler.close(ch, h, Reason.UNUSABLE);
            return;
        }
        h.idleSinceNanos = now;
        Idle q = idle.computeIfAbsent(h.key(), k -> new Idle());
        q.lastReleaseNanos = h.idleSinceNanos;
        q.addLast(ch);
        ch.read();
    }

    /**
     * Closes the idle connections to targets no longer in {@code keys}; called on this pool's
     * loop after a snapshot swap. Connections of targets that stay are kept.
     */
    public void retainOnly(java.util.Set<String> keys) {
        for (Iterator<Map.Entry<String, Idle>> it = idle.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Idle> e = it.next();
            String address = e.getKey().startsWith(TLS_KEY_PREFIX) ? e.getKey().substring(TLS_KEY_PREFIX.length()) : e.getKey();
            if (!keys.contains(address)) {
                e.getValue().forEach(ch -> UpstreamHandler.close(ch, Reason.TARGET_REMOVED));
                it.remove();
            }
        }
        http2.retainOnly(keys);
    }

    @Override
    public void forget(String key, Channel ch) {
        Idle q = idle.get(key);
        if (q != null) {
            q.remove(ch);
        }
    }

    /**
     * Closes the connections idle longer than the idle timeout. A target's queue stays when it
     * empties (it goes with the target, in {@link #retainOnly}, or after
     * {@link #FORGET_EMPTY_QUEUE_TIMEOUTS} idle timeouts without a connection): were it dropped at once, the first
     * request after an idle spell would take a branch of {@link #acquire} that no request under
     * load takes, and the JIT would throw away the compiled request path it is inlined into and
     * compile it again while that load queues (docs/benchmarks.md, "The start-of-load stall").
     */
    private void reapIdle() {
        long now = System.nanoTime();
        for (Iterator<Idle> it = idle.values().iterator(); it.hasNext(); ) {
            Idle q = it.next();
            while (!q.isEmpty()) {
                Channel oldest = q.peekFirst();
                UpstreamHandler h = oldest.pipeline().get(UpstreamHandler.class);
                if (h != null && oldest.isActive() && now - h.idleSinceNanos < idleTimeoutNanos) {
                    break;
                }
                q.pollFirst();
                UpstreamHandler.close(oldest, h, Reason.IDLE_TIMEOUT);
            }
            if (q.isEmpty() && now - q.lastReleaseNanos > forgetEmptyNanos) {
                it.remove();
            }
        }
    }

    /** Whether this pool keeps a queue for {@code key}: from its first connection until the target leaves. */
    boolean knows(String key) {
        return idle.containsKey(key);
    }

    /** Idle connections to {@code key}, for tests and status. */
    int idleCount(String key) {
        Idle q = idle.get(key);
        return q == null ? 0 : q.size();
    }

    /** Closes every idle connection and stops reaping; runs on the pool's loop. */
    public void close() {
        reaper.cancel(false);
        idle.values().forEach(q -> q.forEach(ch -> UpstreamHandler.close(ch, Reason.SHUTDOWN)));
        idle.clear();
        http2.close();
        dns.close();
    }

    /** The idle connections to one target, oldest first, and when one last came back. */
    private static final class Idle extends ArrayDeque<Channel> {
        long lastReleaseNanos;
    }
}
