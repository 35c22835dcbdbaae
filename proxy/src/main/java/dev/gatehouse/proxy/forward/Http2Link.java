package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.observe.RateLimitedLog;
import dev.gatehouse.proxy.observe.UpstreamConnectionMeters.Reason;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.SSLHandshakeException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP/2 connection to a target, in its {@link Http2Pool}: the last handler of the
 * connection's pipeline (after the frame codec and the stream multiplexer), which sees the
 * connection-level frames, and the bookkeeping of its streams. States: connecting (attempts may
 * {@link #await} it) → ready (the target's first SETTINGS arrived; streams open while fewer than
 * its {@code SETTINGS_MAX_CONCURRENT_STREAMS} are active) → going away (a GOAWAY came, the target
 * left the snapshot, or the connection idled: no new stream; closed when the last one ends) →
 * closed. Runs on the pool's loop only.
 */
final class Http2Link extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(Http2Link.class);
    private static final RateLimitedLog GOAWAY = RateLimitedLog.of(LOG, "upstream.goaway");
    private static final RateLimitedLog NO_H2 = RateLimitedLog.of(LOG, "upstream.no-h2");

    private final Http2Pool pool;
    private final String key;
    private final boolean tls;
    private final long connectMillis;
    private final ArrayDeque<UpstreamAttempt> waiters = new ArrayDeque<>(4);
    /** Counts a stream out when its channel closes, however it ends. */
    private final ChannelFutureListener streamClosed = f -> streamEnded();
    private Channel channel;
    private Http2StreamChannelBootstrap streams;
    private ScheduledFuture<?> connectTimer;
    private boolean ready;
    private boolean goingAway;
    private boolean closed;
    /** Why the connection goes away or was closed by the proxy; null while it serves, and when the target ends it. */
    private Reason reason;
    /** The target's SETTINGS_MAX_CONCURRENT_STREAMS; unlimited until it says otherwise (RFC 9113 §6.5.2). */
    private long maxStreams = Long.MAX_VALUE;
    private int active;
    private int opened;
    private long idleSinceNanos = System.nanoTime();

    Http2Link(Http2Pool pool, String key, boolean tls, long connectMillis) {
        this.pool = pool;
        this.key = key;
        this.tls = tls;
        this.connectMillis = connectMillis;
    }

    String key() {
        return key;
    }

    /** The connection is being made on {@code ch}; it must be ready within the connect timeout. */
    void connecting(Channel ch) {
        channel = ch;
        if (closed) {
            ch.close();
            return;
        }
        connectTimer = pool.loop().schedule(() -> {
            if (!ready) {
                fail(new ConnectTimeoutException("no HTTP/2 SETTINGS from " + key + " within the connect timeout of "
                        + connectMillis + " ms"));
            }
        }, connectMillis, TimeUnit.MILLISECONDS);
    }

    /** Ready, not going away, and below the target's stream limit. */
    boolean hasRoom() {
        return ready && !goingAway && active < maxStreams && opened < Http2Pool.MAX_STREAMS_PER_CONNECTION
                && channel.isActive();
    }

    /** Still being made, and not yet promised to more attempts than a target should take at once. */
    boolean canWait() {
        return !ready && !closed && waiters.size() < Http2Pool.ASSUMED_MAX_STREAMS;
    }

    void await(UpstreamAttempt attempt) {
        waiters.add(attempt);
    }

    /** Opens a stream for {@code attempt}; {@link #hasRoom()} was checked. */
    void openStream(UpstreamAttempt attempt) {
        active++;
        opened++;
        Future<Http2StreamChannel> f = streams.open();
        if (f.isDone()) {
            streamOpened(f, attempt);
        } else {
            f.addListener(done -> streamOpened(f, attempt));
        }
    }

    private void streamOpened(Future<Http2StreamChannel> f, UpstreamAttempt attempt) {
        if (!f.isSuccess()) {
            streamEnded();
            attempt.opened(null, f.cause());
            return;
        }
        Http2StreamChannel stream = f.getNow();
        stream.closeFuture().addListener(streamClosed);
        attempt.opened(stream, null);
    }

    private void streamEnded() {
        active--;
        if (active == 0) {
            idleSinceNanos = System.nanoTime();
            if (goingAway) {
                close();
            }
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        // The connection's receive window starts at 65 535 bytes (RFC 9113 §6.9.2); widen it so
        // one stream whose client reads slowly does not stall the others.
        ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(Http2Pool.CONNECTION_WINDOW - Http2CodecUtil.DEFAULT_WINDOW_SIZE));
        ctx.fireChannelActive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (!done.isSuccess()) {
                fail(done.cause());
            } else if (!ApplicationProtocolNames.HTTP_2.equals(ctx.pipeline().get(SslHandler.class).applicationProtocol())) {
                NO_H2.warn("target={} alpn={} reason=\"the target did not choose h2 by ALPN (expected: an HTTP/2 server;"
                                + " for an HTTP/1.1 one set the GatewayService protocol to https)\"", key,
                        ctx.pipeline().get(SslHandler.class).applicationProtocol());
                fail(new SSLHandshakeException("target " + key + " did not choose h2 by ALPN"));
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof Http2SettingsFrame s) {
                Long max = s.settings().maxConcurrentStreams();
                if (max != null) {
                    maxStreams = max;
                }
                if (!ready && !closed) {
                    becomeReady();
                }
            } else if (msg instanceof Http2GoAwayFrame g) {
                GOAWAY.info("target={} last_stream_id={} error_code={} active_streams={}", key, g.lastStreamId(),
                        g.errorCode(), active);
                if (!ready) {
                    fail(new ClosedChannelException());
                } else {
                    retire(Reason.TARGET_CLOSED);
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void becomeReady() {
        ready = true;
        pool.meters().opened();
        connectTimer.cancel(false);
        streams = new Http2StreamChannelBootstrap(channel)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, UpstreamPool.WATER_MARK)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        pool.initStream(ch, key);
                    }
                });
        for (UpstreamAttempt a = waiters.poll(); a != null; a = waiters.poll()) {
            pool.redispatch(a, tls, connectMillis);
        }
    }

    /** No new stream on this connection; it closes once its streams end, counted for {@code why} (the first one given). */
    void retire(Reason why) {
        if (reason == null) {
            reason = why;
        }
        goingAway = true;
        if (active == 0) {
            close();
        }
    }

    /** Closes the connection when it had no stream for {@code idleNanos}. */
    void closeIfIdle(long now, long idleNanos) {
        if (ready && active == 0 && now - idleSinceNanos >= idleNanos) {
            retire(Reason.IDLE_TIMEOUT);
        }
    }

    /** The connection could not be made: its waiting attempts fail as not sent. */
    void fail(Throwable cause) {
        if (closed) {
            return;
        }
        closed = true;
        if (connectTimer != null) {
            connectTimer.cancel(false);
        }
        pool.remove(this);
        for (UpstreamAttempt a = waiters.poll(); a != null; a = waiters.poll()) {
            if (!a.abandoned()) {
                a.opened(null, cause);
            }
        }
        if (channel != null) {
            channel.close();
        }
    }

    /** Closes the connection (a GOAWAY goes first); streams still open end with it. */
    void close() {
        if (!ready) {
            fail(new ClosedChannelException());
            return;
        }
        closed = true;
        pool.remove(this);
        channel.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        LOG.debug("event=upstream.h2-closed target={} active_streams={}", key, active);
        if (ready) {
            pool.meters().closed(reason != null ? reason : Reason.TARGET_CLOSED);
            closed = true;
            pool.remove(this);
        } else {
            fail(new ClosedChannelException());
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("event=upstream.h2-failed target={} cause=\"{}\"", key, cause.toString());
        ctx.close();
    }
}
