package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.http.ForwardedFor;
import dev.gatehouse.proxy.observe.EdgeMeters;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameLogger;
import io.netty.handler.codec.http2.Http2HeadersEncoder;
import io.netty.handler.codec.http2.Http2LocalFlowController;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.UniformStreamByteDistributor;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP/2 client connection: Netty's connection handler (frames, HPACK, flow control, the
 * protocol's defences) with {@link Http2Streams} as its frame listener, which runs one
 * {@link Http2ServerStream} (one {@link Exchange}) per stream, without a channel per stream.
 * What belongs to the connection is here: the graceful end with {@code GOAWAY} (the drain, the
 * request cap, the idle timeout), the connection's receive window widened to every stream's
 * window at once ({@link dev.gatehouse.proxy.Http2Config#connectionWindowSize()}), and one
 * flush per event-loop turn for all the streams that wrote in it ({@link #flushSoon}).
 *
 * <p>Graceful end (RFC 9113 §6.8), as nginx and Envoy do it: first a {@code GOAWAY NO_ERROR}
 * with the largest stream id (a notice: stop opening streams; nothing in flight is refused),
 * then, at the next drain sweep, one with the last stream the proxy took: later streams are
 * refused, and the client retries them on a new connection. The connection closes once no
 * stream is open and it was quiet for a sweep ({@link #drainIfQuiet}).
 */
public final class Http2ClientConnection extends Http2ConnectionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(Http2ClientConnection.class);

    private final Http2Front front;
    private final UpstreamPool pool;
    private final Http2Streams streams;
    private final Runnable flushTask = this::flushNow;
    private ChannelHandlerContext ctx;
    private ForwardedFor forwarded;
    private int opened;
    private boolean noticeSent;
    private boolean goAwaySent;
    private boolean closing;
    /** A read is under way: the connection flushes when it ends ({@link #channelReadComplete}). */
    private boolean reading;
    private boolean flushScheduled;
    /** Read batches and streams opened; the drain compares it between two sweeps. */
    private long activity;
    private long activityAtSweep = -1;

    private Http2ClientConnection(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings,
                                  boolean decoupleCloseAndGoAway, Http2Front front, UpstreamPool pool, Http2Streams streams) {
        super(decoder, encoder, settings, decoupleCloseAndGoAway);
        this.front = front;
        this.pool = pool;
        this.streams = streams;
    }

    Http2Front front() {
        return front;
    }

    UpstreamPool pool() {
        return pool;
    }

    ChannelHandlerContext ctx() {
        return ctx;
    }

    /** The client-address rule of this connection (made once: the peer never changes). */
    ForwardedFor forwarded() {
        if (forwarded == null) {
            forwarded = ForwardedFor.of(front.trustedProxies(), ctx.channel().remoteAddress());
        }
        return forwarded;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
        this.ctx = ctx;
        super.handlerAdded(ctx); // sends the server's preface (SETTINGS)
        streams.attach(this);
        Http2Connection connection = connection();
        Http2LocalFlowController flow = connection.local().flowController();
        int delta = front.config().connectionWindowSize() - flow.initialWindowSize(connection.connectionStream());
        if (delta > 0) {
            flow.incrementWindowSize(connection.connectionStream(), delta);
        }
        ctx.flush();
    }

    /**
     * A stream wrote: the connection is flushed once, at the end of this event-loop turn, for all
     * the streams that wrote in it. A stream's response mostly completes in its upstream
     * connection's read, outside the client connection's own read: flushed per stream, that would
     * be one pass of the flow controller, one TLS record and one {@code write} each. In the
     * connection's own read, its end flushes ({@link #channelReadComplete}); otherwise a task on
     * the loop does, after the turn's other reads (it runs before the loop waits again).
     */
    void flushSoon() {
        if (reading || flushScheduled) {
            return;
        }
        flushScheduled = true;
        ctx.executor().execute(flushTask);
    }

    private void flushNow() {
        flushScheduled = false;
        flush(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        reading = true;
        super.channelRead(ctx, msg);
    }

    /** The client's read batch ended: the streams it gave body to pass it on to their targets, then one flush. */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        activity++;
        reading = false;
        streams.readComplete();
        super.channelReadComplete(ctx);
    }

    /** A stream opened (its HEADERS arrived): counted against the request cap, and told of a drain under way. */
    void streamOpened() {
        activity++;
        opened++;
        if (opened >= front.limits().maxRequestsPerConnection() && !goAwaySent) {
            // the HTTP/1.1 request cap: this stream is served, the client opens a new connection for the next
            front.edge().count(EdgeMeters.Reason.MAX_REQUESTS);
            LOG.debug("event=connection.max_requests client={} requests={}", ctx.channel().remoteAddress(), opened);
            goAway(false);
        } else if (front.plane().draining() && !noticeSent) {
            goAway(true);
        }
    }

    /**
     * Sends {@code GOAWAY NO_ERROR}: a notice (last stream id 2^31-1, nothing refused) or the
     * final one (the last stream taken; later ones are refused).
     */
    private void goAway(boolean notice) {
        if (goAwaySent || (notice && noticeSent) || !ctx.channel().isActive()) {
            return;
        }
        int lastStreamId;
        if (notice) {
            noticeSent = true;
            lastStreamId = Integer.MAX_VALUE;
        } else {
            goAwaySent = true;
            lastStreamId = connection().remote().lastStreamCreated();
        }
        goAway(ctx, lastStreamId, Http2Error.NO_ERROR.code(), Unpooled.EMPTY_BUFFER, ctx.newPromise());
        flush(ctx);
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
        goAway(!noticeSent);
        boolean quiet = connection().numActiveStreams() == 0 && activity == activityAtSweep;
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
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            if (connection().numActiveStreams() == 0 && !closing) {
                closing = true;
                front.edge().count(EdgeMeters.Reason.IDLE_TIMEOUT);
                LOG.debug("event=client.idle client={} protocol=HTTP/2 waiting_for=stream", ctx.channel().remoteAddress());
                goAway(false);
                ctx.channel().close();
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    /** Connection errors were answered by the codec (GOAWAY, counted by {@link Http2FrameEvents}); anything else closes. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        LOG.debug("event=client.failed client={} protocol=HTTP/2 cause={}", ctx.channel().remoteAddress(),
                cause.getClass().getSimpleName());
        if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) != null) {
            super.exceptionCaught(ctx, cause);
        } else {
            ctx.channel().close();
        }
    }

    /** Builds the connection handler with the front's settings and defences ({@link Http2Front#addHandlers}). */
    static final class Builder extends AbstractHttp2ConnectionHandlerBuilder<Http2ClientConnection, Builder> {
        private final Http2Front front;
        private final UpstreamPool pool;
        private final Http2Streams streams;

        Builder(Http2Front front, UpstreamPool pool) {
            this.front = front;
            this.pool = pool;
            this.streams = new Http2Streams();
            // RFC 9113 deprecated stream priorities: the send windows are shared evenly, without the
            // priority tree's state per stream (Netty's default distributor)
            DefaultHttp2Connection connection = new DefaultHttp2Connection(true);
            connection.remote().flowController(
                    new DefaultHttp2RemoteFlowController(connection, new UniformStreamByteDistributor(connection)));
            connection(connection); // a server's: the connection says so
            frameListener(streams);
        }

        Builder settings(Http2Settings settings) {
            return initialSettings(settings);
        }

        Builder defences(int maxRstFrames, int rstWindowSeconds, Http2HeadersEncoder.SensitivityDetector neverIndexed,
                         Http2FrameLogger logger, long gracefulShutdownMillis) {
            return validateHeaders(true)
                    .headerSensitivityDetector(neverIndexed)
                    .decoderEnforceMaxRstFramesPerWindow(maxRstFrames, rstWindowSeconds)
                    .encoderEnforceMaxRstFramesPerWindow(maxRstFrames, rstWindowSeconds)
                    // Channel.close() closes: GOAWAY is sent when meant (drain, idle, the request cap)
                    .decoupleCloseAndGoAway(true)
                    .gracefulShutdownTimeoutMillis(gracefulShutdownMillis)
                    .frameLogger(logger);
        }

        @Override
        public Http2ClientConnection build() {
            return super.build();
        }

        @Override
        protected Http2ClientConnection build(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder,
                                              Http2Settings initialSettings) {
            return new Http2ClientConnection(decoder, encoder, initialSettings, decoupleCloseAndGoAway(), front, pool, streams);
        }
    }
}
