package dev.gatehouse.proxy.health;

import dev.gatehouse.config.Upstream;
import dev.gatehouse.proxy.Transport;
import dev.gatehouse.proxy.balance.Balancers;
import dev.gatehouse.proxy.balance.DnsResolvers;
import dev.gatehouse.proxy.balance.Peer;
import dev.gatehouse.proxy.balance.TargetState;
import dev.gatehouse.proxy.balance.UpstreamState;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Active health checks: every {@code interval}, an HTTP/1.1 {@code GET path} to each target of
 * each upstream that has {@code healthChecks.active}, on one thread of its own (never on the
 * request path). A probe succeeds on an expected status (default 200..399) within
 * {@code timeout}; anything else (refused, reset, timeout, other status) fails it. The results
 * go to the target's {@link TargetState}, which flips after the thresholds. Probes are plain
 * HTTP, also for https services. The thread starts with the first upstream that needs it; a
 * target known by name only is resolved by the asynchronous DNS resolver, never a blocking lookup.
 */
public final class HealthChecker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HealthChecker.class);

    private final Balancers balancers;
    private final Map<String, Probe> probes = new HashMap<>();
    private EventLoopGroup group;
    private Bootstrap bootstrap;
    private AddressResolverGroup<InetSocketAddress> dns;
    private boolean closed;

    public HealthChecker(Balancers balancers) {
        this.balancers = balancers;
    }

    /** Starts probes for new targets, stops those of targets that left; call after each swap. */
    public synchronized void reconcile() {
        if (closed) {
            return;
        }
        Set<String> wanted = new HashSet<>();
        for (UpstreamState s : balancers.upstreams().values()) {
            Upstream u = s.config();
            Upstream.Active active = u == null || u.healthChecks() == null ? null : u.healthChecks().active();
            if (active == null) {
                continue;
            }
            for (TargetState state : s.targets()) {
                Peer t = state.peer();
                if (t == null) {
                    continue;
                }
                String id = u.id() + " " + t.key();
                wanted.add(id);
                Probe p = probes.get(id);
                if (p != null && p.active.equals(active) && p.state == state) {
                    continue;
                }
                if (p != null) {
                    p.cancel();
                }
                probes.put(id, new Probe(u.id(), t, state, active));
            }
        }
        for (Iterator<Map.Entry<String, Probe>> it = probes.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Probe> e = it.next();
            if (!wanted.contains(e.getKey())) {
                e.getValue().cancel();
                it.remove();
            }
        }
    }

    private Bootstrap bootstrap() {
        if (group == null) {
            Transport transport = Transport.best();
            group = transport.newGroup(1, "gatehouse-health");
            dns = DnsResolvers.forBootstrap(transport.datagramChannel());
            dns.getResolver(group.next()); // built here, off the checker's loop
            // TCP_NODELAY is on without an option: the transport's socket config sets it (UpstreamSocketTest)
            bootstrap = transport.bootstrap(group)
                    .resolver(dns);
        }
        return bootstrap;
    }

    @Override
    public synchronized void close() {
        closed = true;
        probes.values().forEach(Probe::cancel);
        probes.clear();
        if (group != null) {
            dns.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    /** The periodic probe of one target. */
    private final class Probe {
        final String upstream;
        final Peer target;
        final TargetState state;
        final Upstream.Active active;
        final ScheduledFuture<?> timer;

        Probe(String upstream, Peer target, TargetState state, Upstream.Active active) {
            this.upstream = upstream;
            this.target = target;
            this.state = state;
            this.active = active;
            long interval = Math.max(10, active.intervalMillis());
            this.timer = bootstrap().config().group().next().scheduleAtFixedRate(this::run, interval, interval, TimeUnit.MILLISECONDS);
        }

        void cancel() {
            timer.cancel(false);
        }

        /** Runs on the checker's thread. */
        private void run() {
            boolean[] reported = new boolean[1];
            Runnable fail = () -> report(reported, false, "no answer");
            long timeout = Math.max(1, active.timeoutMillis());
            Bootstrap b = bootstrap().clone()
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout))
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new HttpClientCodec(), new SimpleChannelInboundHandler<HttpObject>() {
                                @Override
                                protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
                                    if (msg instanceof HttpResponse res) {
                                        int code = res.status().code();
                                        report(reported, expected(code), "status " + code);
                                        ctx.close();
                                    }
                                }

                                @Override
                                public void channelInactive(ChannelHandlerContext ctx) {
                                    fail.run();
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                    report(reported, false, cause.toString());
                                    ctx.close();
                                }
                            });
                        }
                    });
            ChannelFuture f = b.connect(target.address());
            Channel ch = f.channel();
            ch.eventLoop().schedule(() -> {
                report(reported, false, "timed out after " + timeout + " ms");
                ch.close();
            }, timeout, TimeUnit.MILLISECONDS);
            f.addListener((ChannelFuture cf) -> {
                if (!cf.isSuccess()) {
                    report(reported, false, String.valueOf(cf.cause()));
                    return;
                }
                DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, active.path());
                req.headers().set(HttpHeaderNames.HOST, target.target().address())
                        .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE)
                        .set(HttpHeaderNames.USER_AGENT, "gatehouse-health")
                        .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
                cf.channel().writeAndFlush(req);
            });
        }

        private boolean expected(int code) {
            return active.healthyStatuses().isEmpty() ? code >= 200 && code < 400 : active.healthyStatuses().contains(code);
        }

        private void report(boolean[] reported, boolean ok, String what) {
            if (reported[0]) {
                return;
            }
            reported[0] = true;
            boolean was = state.healthy();
            state.probed(ok, active);
            if (was != state.healthy()) {
                LOG.warn("event=target.health-changed upstream={} target={} health={} reason=\"{}\"",
                        upstream, target.key(), state.healthy() ? "healthy" : "unhealthy", what);
            }
        }
    }
}
