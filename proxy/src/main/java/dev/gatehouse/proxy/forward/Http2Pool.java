package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.balance.Peer;
import dev.gatehouse.proxy.observe.UpstreamConnectionMeters;
import dev.gatehouse.proxy.observe.UpstreamConnectionMeters.Reason;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * HTTP/2 connections to the targets of h2c, grpc and grpcs services, for one event loop (every
 * method runs on it: no locks). Each attempt gets a new stream on a connection to its target
 * ({@link Http2Link}); a stream is never handed to a second attempt, the connection is shared
 * by all attempts of the loop to that target:
 *
 * <ul>
 *   <li>a stream opens on the first connection to the target that is ready (its first SETTINGS
 *       arrived) and below the target's {@code SETTINGS_MAX_CONCURRENT_STREAMS}; when every one is
 *       full, another connection is opened. Attempts that come while a connection is being
 *       made wait for it (up to {@value #ASSUMED_MAX_STREAMS}, the least a target should allow
 *       by RFC 9113 §6.5.2) and are placed when its SETTINGS say how many fit;</li>
 *   <li>a connection is ready once TCP, TLS with {@code h2} chosen by ALPN (grpcs) and the
 *       target's first SETTINGS frame are done, all within the attempt's connect timeout;
 *       otherwise its waiting attempts fail as not sent;</li>
 *   <li>after a GOAWAY from the target no stream opens on that connection; it closes when its
 *       last stream ends. Streams above the GOAWAY's last-stream-id were not processed, so their
 *       attempts count as not sent ({@link Http2StreamAdapter});</li>
 *   <li>a connection without streams for the pool's idle timeout ({@code --upstream-keepalive-idle-timeout}), or one whose
 *       target left the snapshot, is closed (GOAWAY first).</li>
 * </ul>
 *
 * <p>Each stream channel speaks {@code HttpObject}s ({@link Http2StreamFrameToHttpObjectCodec},
 * then {@link Http2StreamAdapter}, then the {@link UpstreamHandler}), so attempts and exchanges
 * run on it unchanged. Flow control does the backpressure: a stream's channel is read only when
 * the client takes the response, and the target may send at most {@value #STREAM_WINDOW} bytes
 * of a stream ahead of that ({@value #CONNECTION_WINDOW} for the whole connection).
 */
final class Http2Pool implements Connector {
    /** Pool keys: the scheme keeps h2c and h2-over-TLS connections to one address apart. */
    static final String H2C_KEY_PREFIX = "h2c://";
    static final String H2_KEY_PREFIX = "h2://";
    /** The receive window of each stream (SETTINGS_INITIAL_WINDOW_SIZE), bytes. */
    static final int STREAM_WINDOW = 256 * 1024;
    /** The receive window of each connection, bytes: room for 64 streams whose clients read slowly. */
    static final int CONNECTION_WINDOW = 16 * 1024 * 1024;
    /** SETTINGS_MAX_HEADER_LIST_SIZE for response headers and trailers, as the HTTP/1.1 decoder's limit. */
    static final int MAX_HEADER_LIST_SIZE = 65536;
    /** How many attempts may wait for a connection before its SETTINGS say how many streams it takes. */
    static final int ASSUMED_MAX_STREAMS = 100;
    /** Client stream ids are odd and below 2^31: a connection stops taking streams after this many. */
    static final int MAX_STREAMS_PER_CONNECTION = (1 << 30) - 1;

    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final UpstreamTls tls;
    private final Map<String, List<Http2Link>> links = new HashMap<>();
    private final Http2StreamFrameToHttpObjectCodec codec = new Http2StreamFrameToHttpObjectCodec(false, true);
    private final ScheduledFuture<?> reaper;
    private final long idleTimeoutNanos;
    private final UpstreamConnectionMeters meters;

    /**
     * @param bootstrap        a bootstrap on {@code loop} with the proxy's resolver and socket options
     * @param tls              the client TLS contexts: grpcs services get {@link UpstreamTls#h2()}, {@link #alpn} offering {@code h2}
     * @param idleTimeoutNanos how long a connection may carry no stream ({@link UpstreamPool#reapEvery})
     * @param meters           counts the connections opened (ready) and closed
     */
    Http2Pool(EventLoop loop, Bootstrap bootstrap, UpstreamTls tls, long idleTimeoutNanos, UpstreamConnectionMeters meters) {
        this.loop = loop;
        this.meters = meters;
        this.tls = tls;
        this.idleTimeoutNanos = idleTimeoutNanos;
        // the connection is always read: each stream is flow-controlled on its own
        this.bootstrap = bootstrap.option(ChannelOption.AUTO_READ, true);
        long reapEvery = UpstreamPool.reapEvery(idleTimeoutNanos);
        this.reaper = loop.scheduleAtFixedRate(this::reapIdle, reapEvery, reapEvery, TimeUnit.NANOSECONDS);
    }

    /** Client TLS that offers only {@code h2} by ALPN (RFC 9113 §3.2); trust and hostname checks as {@code builder} has them. */
    static SslContextBuilder alpn(SslContextBuilder builder) {
        return builder.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2));
    }

    static String key(Peer peer, boolean tls) {
        return (tls ? H2_KEY_PREFIX : H2C_KEY_PREFIX) + peer.key();
    }

    /** A stream on a connection with room, else a place among the waiters of one being made, else a new connection. */
    @Override
    public void open(UpstreamAttempt attempt, boolean tls, long connectMillis) {
        String key = key(attempt.peer(), tls);
        List<Http2Link> list = links.computeIfAbsent(key, k -> new ArrayList<>(2));
        Http2Link pending = null;
        for (int i = 0; i < list.size(); i++) {
            Http2Link link = list.get(i);
            if (link.hasRoom()) {
                link.openStream(attempt);
                return;
            }
            if (pending == null && link.canWait()) {
                pending = link;
            }
        }
        if (pending != null) {
            pending.await(attempt);
            return;
        }
        if (this.tls.failed(attempt, tls)) {
            return;
        }
        // in the pool and awaited before the connect starts: a connect that fails at once fails this attempt too
        Http2Link link = new Http2Link(this, key, tls, connectMillis);
        list.add(link);
        link.await(attempt);
        connect(link, attempt.peer(), tls, connectMillis);
    }

    private void connect(Http2Link link, Peer peer, boolean useTls, long connectMillis) {
        bootstrap.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectMillis));
        bootstrap.handler(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                if (useTls) {
                    SslHandler handler = tls.h2().newHandler(ch.alloc(), peer.target().host(), peer.target().port());
                    handler.setHandshakeTimeoutMillis(connectMillis);
                    ch.pipeline().addLast("tls", handler);
                }
                ch.pipeline().addLast("h2", Http2FrameCodecBuilder.forClient()
                                .initialSettings(Http2Settings.defaultSettings()
                                        .pushEnabled(false)
                                        .initialWindowSize(STREAM_WINDOW)
                                        .maxHeaderListSize(MAX_HEADER_LIST_SIZE))
                                .build())
                        .addLast("streams", new Http2MultiplexHandler(NO_PUSH))
                        .addLast("link", link);
            }
        });
        ChannelFuture f = bootstrap.connect(peer.address());
        link.connecting(f.channel());
        f.addListener((ChannelFuture done) -> {
            if (!done.isSuccess()) {
                link.fail(done.cause());
            }
        });
    }

    /** The stream pipeline: frames to HttpObjects, the HTTP/2 details ({@link Http2StreamAdapter}), then the attempt's handler. */
    void initStream(Channel stream, String key) {
        stream.pipeline().addLast("codec", codec)
                .addLast("h2-adapter", Http2StreamAdapter.INSTANCE)
                .addLast("upstream", new UpstreamHandler(this, key));
    }

    /** Streams are never pooled: the stream is closed, with RST_STREAM(CANCEL) when either side has not finished. */
    @Override
    public void release(Channel ch, boolean reuse, long now) {
        UpstreamHandler h = ch.pipeline().get(UpstreamHandler.class);
        if (h != null) {
            h.detach();
        }
        ch.close();
    }

    @Override
    public void forget(String key, Channel ch) {
        // a stream is nobody's once its attempt let go of it; its connection stays in the pool
    }

    /** Places the attempts that waited for {@code link} now that its SETTINGS tell how many streams it takes. */
    void redispatch(UpstreamAttempt attempt, boolean useTls, long connectMillis) {
        if (!attempt.abandoned()) {
            open(attempt, useTls, connectMillis);
        }
    }

    /** {@code link} failed or closed: no attempt is given a stream on it any more. */
    void remove(Http2Link link) {
        List<Http2Link> list = links.get(link.key());
        if (list != null && list.remove(link) && list.isEmpty()) {
            links.remove(link.key());
        }
    }

    EventLoop loop() {
        return loop;
    }

    UpstreamConnectionMeters meters() {
        return meters;
    }

    /**
     * Retires the connections to targets no longer in {@code keys} (after a snapshot swap, on this
     * loop): no new stream on them, closed once their streams end.
     */
    void retainOnly(Set<String> keys) {
        for (Iterator<Map.Entry<String, List<Http2Link>>> it = links.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, List<Http2Link>> e = it.next();
            String k = e.getKey();
            String address = k.substring(k.startsWith(H2_KEY_PREFIX) ? H2_KEY_PREFIX.length() : H2C_KEY_PREFIX.length());
            if (!keys.contains(address)) {
                it.remove();
                new ArrayList<>(e.getValue()).forEach(link -> link.retire(Reason.TARGET_REMOVED));
            }
        }
    }

    private void reapIdle() {
        long now = System.nanoTime();
        for (List<Http2Link> list : new ArrayList<>(links.values())) {
            for (Http2Link link : new ArrayList<>(list)) {
                link.closeIfIdle(now, idleTimeoutNanos);
            }
        }
    }

    /** Closes every connection and stops reaping; runs on the pool's loop. */
    void close() {
        reaper.cancel(false);
        List<Http2Link> all = new ArrayList<>();
        links.values().forEach(all::addAll);
        links.clear();
        all.forEach(link -> link.retire(Reason.SHUTDOWN));
        all.forEach(Http2Link::close);
    }

    /** Targets may not open streams towards the proxy (push is off): any such stream is closed. */
    private static final ChannelHandler NO_PUSH = new RefuseStream();

    @ChannelHandler.Sharable
    private static final class RefuseStream extends ChannelInboundHandlerAdapter {
        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.close();
        }
    }
}
