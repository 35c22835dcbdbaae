package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.http1.UpstreamCodec;
import dev.gatehouse.proxy.observe.RateLimitedLog;
import dev.gatehouse.proxy.observe.UpstreamConnectionMeters;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of an upstream connection: hands the response to the {@link Exchange} whose
 * {@link UpstreamAttempt} holds the connection (or HTTP/2 stream), or, while the connection idles in its
 * {@link UpstreamPool}, closes it on any unexpected byte and drops it from the pool when the target closes it. A response the
 * decoder refused goes to {@link Exchange#onUpstreamMalformed}, which closes the connection. It keeps the
 * channel's {@link Deadlines}, so the timeouts of successive attempts on one connection share its read check.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(UpstreamHandler.class);
    /**
     * A target sent bytes beyond the answer to the request it was sent (RFC 9112 §6.3): the
     * connection is closed, never handed to the next request.
     */
    static final RateLimitedLog BYTES_AFTER_RESPONSE = RateLimitedLog.of(LOG, "upstream.bytes-after-response");

    private final Connector pool;
    private final String key;
    /** The HTTP/1.1 connection's codec; null on an HTTP/2 stream. */
    private final UpstreamCodec codec;
    private UpstreamAttempt attempt;
    private Deadlines deadlines;
    long idleSinceNanos;
    int requests;
    /** The requests this connection carries before the pool closes it ({@link UpstreamPool#requestLimit}); unused on an HTTP/2 stream. */
    final int requestLimit;
    /** Counts the HTTP/1.1 connection's open and close; an HTTP/2 stream's counts nothing (its connection does: {@link Http2Link}). */
    private final UpstreamConnectionMeters meters;
    /** Why the proxy is closing the connection; null until it does (then the close was the target's). */
    private UpstreamConnectionMeters.Reason closing;

    /** An HTTP/2 stream's: no codec of its own, no request limit. */
    UpstreamHandler(Connector pool, String key) {
        this(pool, key, null, Integer.MAX_VALUE, UpstreamConnectionMeters.NONE);
    }

    UpstreamHandler(Connector pool, String key, UpstreamCodec codec, int requestLimit, UpstreamConnectionMeters meters) {
        this.pool = pool;
        this.key = key;
        this.codec = codec;
        this.requestLimit = requestLimit;
        this.meters = meters;
    }

    /** Closes {@code ch}, an upstream connection, for {@code reason} ({@link #close(Channel, UpstreamHandler, UpstreamConnectionMeters.Reason)}). */
    static void close(Channel ch, UpstreamConnectionMeters.Reason reason) {
        close(ch, ch.pipeline().get(UpstreamHandler.class), reason);
    }

    /**
     * Closes {@code ch}, whose handler is {@code h}, for {@code reason}: counted so when its close is
     * seen ({@link #channelInactive}; the first reason given stands). A channel the target closed
     * already keeps the reason its close had.
     */
    static void close(Channel ch, UpstreamHandler h, UpstreamConnectionMeters.Reason reason) {
        if (h != null && ch.isActive() && h.closing == null) {
            h.closing = reason;
        }
        ch.close();
    }

    String key() {
        return key;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        deadlines = new Deadlines(ctx.executor());
    }

    /** The channel's timeouts stop with it, or when a tunnel takes the channel over. */
    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        deadlines.close();
    }

    /** Gives the channel to {@code a}; its timeouts are the returned ones, started by the attempt. */
    Deadlines attach(UpstreamAttempt a) {
        attempt = a;
        if (codec != null) {
            codec.headsReadAtOnce(a.exchange().readsHeadAtOnce());
        }
        requests++;
        return deadlines;
    }

    void detach() {
        attempt = null;
    }

    /** The attempt holding the channel, or null. */
    UpstreamAttempt attempt() {
        return attempt;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        UpstreamAttempt a = attempt;
        if (a == null) {
            ReferenceCountUtil.release(msg);
            if (ctx.channel().isOpen()) {
                BYTES_AFTER_RESPONSE.warn("target={} when=\"while idle\"", key);
            }
            close(ctx.channel(), this, UpstreamConnectionMeters.Reason.UNUSABLE);
            return;
        }
        Exchange e = a.exchange();
        long now = a.noteRead();
        if (msg instanceof HttpObject o && o.decoderResult().isFailure()) {
            ReferenceCountUtil.release(msg);
            e.onUpstreamMalformed(a, ctx.channel(), o.decoderResult().cause());
            return;
        }
        if (msg instanceof HttpResponse res) {
            e.onUpstreamResponse(a, res, now);
        }
        if (msg instanceof HttpContent c) {
            e.onUpstreamContent(a, c, now);
        } else if (!(msg instanceof HttpResponse)) {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        UpstreamAttempt a = attempt;
        if (a != null) {
            a.exchange().onUpstreamReadComplete(a);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        UpstreamAttempt a = attempt;
        if (a == null) {
            return;
        }
        if (ctx.channel().isWritable()) {
            a.exchange().onUpstreamWritable(a);
        } else {
            a.unwritable();
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        meters.opened();
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        deadlines.close();
        UpstreamAttempt a = attempt;
        attempt = null;
        meters.closed(closing != null ? closing
                : a != null ? UpstreamConnectionMeters.Reason.IN_USE : UpstreamConnectionMeters.Reason.TARGET_CLOSED);
        if (a != null) {
            a.exchange().onUpstreamClosed(a);
        } else {
            pool.forget(key, ctx.channel());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("upstream connection to {} failed: {}", key, cause.toString());
        ctx.close();
    }
}
