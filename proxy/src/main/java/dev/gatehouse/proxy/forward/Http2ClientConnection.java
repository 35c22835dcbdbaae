package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.http.ForwardedFor;
import dev.gatehouse.proxy.observe.EdgeMeters;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2LocalFlowController;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of an HTTP/2 client connection: what belongs to the connection rather than
 * to a stream. It starts each stream's child pipeline ({@link Http2StreamHandler}, one
 * {@link Exchange} per stream), ends the connection gracefully with {@code GOAWAY} (the drain,
 * the request cap, the idle timeout), and widens the connection's receive window to every
 * stream's window at once ({@link dev.gatehouse.proxy.Http2Config#connectionWindowSize()}).
 *
 * <p>Graceful end (RFC 9113 §6.8), as nginx and Envoy do it: first a {@code GOAWAY NO_ERROR}
 * with the largest stream id (a notice: stop opening streams; nothing in flight is refused),
 * then, at the next drain sweep, one with the last stream the proxy took: later streams are
 * refused, and the client retries them on a new connection. The connection closes once no
 * stream is open and it was quiet for a sweep ({@link #drainIfQuiet}).
 */
public final class Http2ClientConnection extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(Http2ClientConnection.class);

    private final Http2Front front;
    private final UpstreamPool pool;
    private ChannelHandlerContext ctx;
    private Http2Connection connection;
    private ForwardedFor forwarded;
    private int streams;
    private boolean noticeSent;
    private boolean goAwaySent;
    private boolean closing;
    /** Read batches and streams opened; the drain compares it between two sweeps. */
    private long activity;
    private long activityAtSweep = -1;

    Http2ClientConnection(Http2Front front, UpstreamPool pool) {
        this.front = front;
        this.pool = pool;
    }

    /** The child pipeline of each stream the client opens. */
    ChannelInitializer<Http2StreamChannel> streamInitializer() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Http2StreamChannel ch) {
                ch.config().setAutoRead(false);
                Http2StreamIdle idle = new Http2StreamIdle(front.limits().idleTimeout().toNanos());
                Http2ResponseWrites writes = new Http2ResponseWrites(idle);
                ch.pipeline()
                        .addLast("h2-http", front.httpCodec())
                        .addLast("h2-writes", writes)
                        .addLast("h2-stream", new Http2StreamHandler(Http2ClientConnection.this, writes, idle));
                streamOpened();
            }
        };
    }

    Http2Front front() {
        return front;
    }

    UpstreamPool pool() {
        return pool;
    }

    /** The client-address rule of this connection (made once: the peer never changes). */
    ForwardedFor forwarded() {
        ForwardedFor f = forwarded;
        if (f == null) {
            f = ForwardedFor.of(front.trustedProxies(), ctx.channel().remoteAddress());
            forwarded = f;
        }
        return f;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
        connection = codec.connection();
        Http2LocalFlowController flow = connection.local().flowController();
        int delta = front.config().connectionWindowSize() - flow.initialWindowSize(connection.connectionStream());
        if (delta > 0) {
            flow.incrementWindowSize(connection.connectionStream(), delta);
            ctx.flush();
        }
    }

    private void streamOpened() {
        activity++;
        streams++;
        if (streams >= front.limits().maxRequestsPerConnection() && !goAwaySent) {
            // the HTTP/1.1 request cap: this stream is served, the client opens a new connection for the next
            front.edge().count(EdgeMeters.Reason.MAX_REQUESTS);
            LOG.debug("event=connection.max_requests client={} requests={}", ctx.channel().remoteAddress(), streams);
            goAway(false);
        } else if (front.plane().draining() && !noticeSent) {
            goAway(true);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        activity++;
        ctx.fireChannelReadComplete();
    }

    /**
     * Sends {@code GOAWAY NO_ERROR}: a notice (last stream id 2^31-1, nothing refused) or the
     * final one (the last stream taken; later ones are refused).
     */
    private void goAway(boolean notice) {
        if (goAwaySent || (notice && noticeSent) || !ctx.channel().isActive()) {
            return;
        }
        DefaultHttp2GoAwayFrame frame = new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR);
        if (notice) {
            noticeSent = true;
            frame.setExtraStreamIds(Integer.MAX_VALUE);
        } else {
            goAwaySent = true;
        }
        ctx.writeAndFlush(frame);
    }

    /**
     * A sweep of the drain ({@code dev.gatehouse.proxy.Drain}), on this connection's event loop:
     * the first sends the {@code GOAWAY} notice, the next the final {@code GOAWAY}; with
     * {@code close}, a connection with no open stream that was quiet since the previous sweep
     * is closed.
     *
     * @return true when it closed the connection
     */
    public boolean drainIfQuiet(boolean close, long lingerMillis) {
        if (closing) {
            return false;
        }
        if (!noticeSent) {
            goAway(true);
        } else {
            goAway(false);
        }
        boolean quiet = connection.numActiveStreams() == 0 && activity == activityAtSweep;
        activityAtSweep = activity;
        if (!close || !quiet) {
            return false;
        }
        closing = true;
        goAway(false);
        LOG.debug("event=drain.idle-close client={} protocol=HTTP/2", ctx.channel().remoteAddress());
        ctx.channel().close();
        return true;
    }

    /**
     * The connection saw no byte either way for the client idle timeout: closed with
     * {@code GOAWAY} when no stream is open; open streams have their own idle timeout.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            if (connection.numActiveStreams() == 0 && !closing) {
                closing = true;
                front.edge().count(EdgeMeters.Reason.IDLE_TIMEOUT);
                LOG.debug("event=client.idle client={} protocol=HTTP/2 waiting_for=stream", ctx.channel().remoteAddress());
                goAway(false);
                ctx.channel().close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** Connection errors were answered by the codec (GOAWAY, counted by {@link Http2FrameEvents}); anything else closes. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("event=client.failed client={} protocol=HTTP/2 cause={}", ctx.channel().remoteAddress(),
                cause.getClass().getSimpleName());
        Channel ch = ctx.channel();
        if (!(cause instanceof io.netty.handler.codec.http2.Http2Exception)) {
            ch.close();
        }
    }
}
