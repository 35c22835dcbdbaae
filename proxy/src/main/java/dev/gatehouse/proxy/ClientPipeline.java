package dev.gatehouse.proxy;

import dev.gatehouse.proxy.forward.ClientHandler;
import dev.gatehouse.proxy.forward.ClientIdle;
import dev.gatehouse.proxy.forward.DataPlane;
import dev.gatehouse.proxy.forward.Http2Front;
import dev.gatehouse.proxy.forward.UpstreamPool;
import dev.gatehouse.proxy.http.RequestGate;
import dev.gatehouse.proxy.http.StrictRequestDecoder;
import dev.gatehouse.proxy.http1.ClientResponseEncoder;
import dev.gatehouse.proxy.observe.EdgeMeters;
import dev.gatehouse.proxy.observe.RequestObserver;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.ssl.ApplicationProtocolNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The pipeline of a client connection, in named steps (after Zuul's
 * {@code addTcpRelatedHandlers}/{@code addHttp1Handlers}): the connection limit and the idle
 * handler; on the TLS port the TLS steps ({@code TlsHandshakes}); then HTTP/1.1 behind the strict
 * gate, the same on both ports. On the cleartext port a connection that opens with the HTTP/2
 * preface takes the HTTP/2 steps instead ({@link Http2Front}: h2c with prior knowledge); on the
 * TLS port ALPN chooses ({@code h2} or {@code http/1.1}, HTTP/1.1 without ALPN) once the handshake
 * is done ({@link #afterHandshake}).
 */
final class ClientPipeline {
    private static final Logger LOG = LoggerFactory.getLogger(ClientPipeline.class);

    private final ProxyConfig config;
    private final ChannelGroup clients;
    private final DataPlane plane;
    private final Map<EventLoop, UpstreamPool> pools;
    private final RequestObserver observer;
    private final EdgeMeters edge;
    /** HTTP/2 towards clients. */
    private final Http2Front http2;
    /** Client connections open now, for --max-connections. */
    private final AtomicInteger openConnections = new AtomicInteger();
    private final AtomicLong lastRefusalLogNanos = new AtomicLong(System.nanoTime() - TimeUnit.SECONDS.toNanos(2));
    private final AtomicLong refusedSinceLog = new AtomicLong();
    /** A connection's close gives back its place (one listener for all connections, not one each). */
    private final ChannelFutureListener closed = f -> openConnections.decrementAndGet();

    ClientPipeline(ProxyConfig config, ChannelGroup clients, DataPlane plane, Map<EventLoop, UpstreamPool> pools,
                   RequestObserver observer, EdgeMeters edge) {
        this.config = config;
        this.clients = clients;
        this.plane = plane;
        this.pools = pools;
        this.observer = observer;
        this.edge = edge;
        this.http2 = new Http2Front(plane, observer, config.limits(), config.http2(), edge, config.trustedProxies());
    }

    /** The cleartext port's connections. */
    ChannelInitializer<Channel> cleartext() {
        return initializer(null);
    }

    /** The TLS port's connections: {@code tlsSteps} add the TLS handlers, which call {@link #afterHandshake}. */
    ChannelInitializer<Channel> tls(Consumer<ChannelPipeline> tlsSteps) {
        return initializer(tlsSteps);
    }

    private ChannelInitializer<Channel> initializer(Consumer<ChannelPipeline> tlsSteps) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                if (!addConnectionHandlers(ch)) {
                    return;
                }
                if (tlsSteps != null) {
                    tlsSteps.accept(ch.pipeline());
                } else if (config.http2().enabled()) {
                    ch.pipeline().addLast("protocol", new PrefaceSniffer(ClientPipeline.this::addHttp1Handlers,
                            ClientPipeline.this::addHttp2Handlers, edge));
                } else {
                    addHttp1Handlers(ch);
                }
            }
        };
    }

    /**
     * Beyond {@code maxConnections} open ones the new connection is closed at once (no response:
     * the proxy is full, not the request bad), counted, and logged at most once a second with
     * the count since the last line; otherwise the idle handler, first, so it also covers a
     * handshake.
     *
     * @return false when the connection was refused
     */
    private boolean addConnectionHandlers(Channel ch) {
        ClientLimits limits = config.limits();
        if (openConnections.incrementAndGet() > limits.maxConnections()) {
            openConnections.decrementAndGet();
            edge.count(EdgeMeters.Reason.MAX_CONNECTIONS);
            logConnectionRefused(limits.maxConnections());
            ch.close();
            return false;
        }
        ch.closeFuture().addListener(closed);
        clients.add(ch);
        ch.pipeline().addLast("idle", new ClientIdle(limits.idleTimeout().toNanos()));
        return true;
    }

    /** HTTP/1.1 behind the strict gate. */
    private void addHttp1Handlers(Channel ch) {
        ClientLimits limits = config.limits();
        ch.pipeline()
                .addLast("decoder", new StrictRequestDecoder(limits))
                .addLast("encoder", new ClientResponseEncoder())
                .addLast("gate", new RequestGate(limits, edge))
                .addLast("proxy", new ClientHandler(plane, pools.get(ch.eventLoop()), observer, limits, edge,
                        config.trustedProxies()));
    }

    /**
     * After the TLS handshake ({@code TlsHandshakes} calls it): HTTP/2 when ALPN chose {@code h2},
     * else HTTP/1.1, whose handlers then ask for the first request.
     */
    void afterHandshake(ChannelHandlerContext ctx, String protocol) {
        if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
            addHttp2Handlers(ctx.channel());
        } else {
            addHttp1Handlers(ctx.channel());
            ctx.read();
        }
    }

    /** HTTP/2 ({@link Http2Front}): h2c on the cleartext port, ALPN {@code h2} on the TLS port. */
    private void addHttp2Handlers(Channel ch) {
        http2.addHandlers(ch, pools.get(ch.eventLoop()));
    }

    private void logConnectionRefused(int max) {
        long refused = refusedSinceLog.incrementAndGet();
        long last = lastRefusalLogNanos.get();
        long now = System.nanoTime();
        if (now - last >= TimeUnit.SECONDS.toNanos(1) && lastRefusalLogNanos.compareAndSet(last, now)) {
            refusedSinceLog.addAndGet(-refused);
            LOG.warn("event=connection.refused reason=max_connections max={} refused={} (raise --max-connections or add replicas)",
                    max, refused);
        }
    }
}
