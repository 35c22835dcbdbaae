package dev.gatehouse.proxy;

import dev.gatehouse.proxy.forward.HalfClose;
import dev.gatehouse.proxy.observe.EdgeMeters;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * h2c with prior knowledge on the cleartext port (RFC 9113 §3.3): looks at a connection's first
 * bytes. The HTTP/2 connection preface ({@code PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n}) makes it an
 * HTTP/2 connection; anything else (as soon as a byte differs from the preface) an HTTP/1.1 one
 * behind the strict gate, exactly as without this handler. It then replaces itself with the
 * chosen handlers and passes the bytes on. No other way in: {@code Upgrade: h2c} is not
 * honoured (the HTTP/1.1 path drops it as a hop-by-hop field).
 *
 * <p>Until the first byte arrives the connection is quiet: the drain closes it like an idle
 * HTTP/1.1 connection ({@link #drainIfQuiet}), and the client idle timeout closes it.
 */
final class PrefaceSniffer extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(PrefaceSniffer.class);
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private final Consumer<Channel> http1;
    private final Consumer<Channel> http2;
    private final EdgeMeters edge;
    /** The bytes so far while they are a strict prefix of the preface; null before any. */
    private ByteBuf seen;
    private boolean closed;
    private long activity;
    private long activityAtSweep = -1;

    /**
     * @param http1 adds the HTTP/1.1 handlers at the end of the pipeline
     * @param http2 adds the HTTP/2 handlers at the end of the pipeline
     */
    PrefaceSniffer(Consumer<Channel> http1, Consumer<Channel> http2, EdgeMeters edge) {
        this.http1 = http1;
        this.http2 = http2;
        this.edge = edge;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf in) || closed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        activity++;
        ByteBuf all = in;
        if (seen != null) {
            all = ctx.alloc().buffer(seen.readableBytes() + in.readableBytes()).writeBytes(seen).writeBytes(in);
            seen.release();
            seen = null;
            in.release();
        }
        int n = Math.min(all.readableBytes(), PREFACE.length);
        boolean preface = true;
        for (int i = 0; i < n && preface; i++) {
            preface = all.getByte(all.readerIndex() + i) == PREFACE[i];
        }
        if (preface && n < PREFACE.length) {
            seen = all;
            ctx.read();
            return;
        }
        if (preface) {
            LOG.debug("event=client.protocol client={} protocol=h2c", ctx.channel().remoteAddress());
            http2.accept(ctx.channel());
        } else {
            http1.accept(ctx.channel());
        }
        ctx.fireChannelRead(all);
        ctx.pipeline().remove(this);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        releaseSeen();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        releaseSeen();
        ctx.fireChannelInactive();
    }

    private void releaseSeen() {
        if (seen != null) {
            seen.release();
            seen = null;
        }
    }

    /** No byte in the client idle timeout: closed, as an HTTP/1.1 connection waiting for its first request is. */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            edge.count(EdgeMeters.Reason.IDLE_TIMEOUT);
            LOG.debug("event=client.idle client={} waiting_for=request", ctx.channel().remoteAddress());
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /**
     * A drain sweep before the connection's first byte: closed (half-close, then read and drop for
     * {@code lingerMillis}) when it was quiet since the previous sweep, as
     * {@code ClientHandler.drainIfQuiet} closes a quiet HTTP/1.1 connection.
     *
     * @return true when it started closing the connection
     */
    boolean drainIfQuiet(Channel ch, boolean close, long lingerMillis) {
        boolean quiet = !closed && activity == activityAtSweep;
        activityAtSweep = activity;
        if (!close || !quiet) {
            return false;
        }
        closed = true;
        LOG.debug("event=drain.idle-close client={}", ch.remoteAddress());
        HalfClose.start(ch, lingerMillis);
        return true;
    }
}
