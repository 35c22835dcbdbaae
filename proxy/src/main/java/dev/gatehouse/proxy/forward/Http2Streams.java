package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.observe.RateLimitedLog;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2RemoteFlowController;
import io.netty.handler.codec.http2.Http2Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;

/**
 * The frame listener of an {@link Http2ClientConnection}: hands each stream's frames to its
 * {@link Http2ServerStream}, kept as a property of Netty's stream (no channel, no pipeline per
 * stream). It also hears, from the connection, a stream closing (a reset by the client or by the
 * proxy, or both sides done) and, from the flow controller, a stream whose response may be written
 * again (its send window and the connection's, and the socket's buffer).
 *
 * <p>The streams that passed request body to their exchanges in a read are told when the read
 * ends ({@link #readComplete}), as a channel's {@code channelReadComplete}: each exchange then
 * flushes what it wrote to its target and asks for more only while the target takes it.
 */
final class Http2Streams extends Http2FrameAdapter implements Http2Connection.Listener, Http2RemoteFlowController.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(Http2Streams.class);
    private static final RateLimitedLog STREAM_FAILED = RateLimitedLog.of(LOG, "http2.stream-failed");

    private final ArrayList<Http2ServerStream> readBatch = new ArrayList<>(4);
    private Http2ClientConnection connection;
    private Http2Connection.PropertyKey key;
    private Http2RemoteFlowController sendFlow;

    /** The connection handler was added to its channel. */
    void attach(Http2ClientConnection connection) {
        this.connection = connection;
        this.key = connection.connection().newKey();
        connection.connection().addListener(this);
        sendFlow = connection.encoder().flowController();
        sendFlow.listener(this);
    }

    Http2RemoteFlowController sendFlow() {
        return sendFlow;
    }

    /** {@code stream} passed body to its exchange in this read. */
    void readIn(Http2ServerStream stream) {
        readBatch.add(stream);
    }

    /** The connection's read ended: the streams that passed body on in it end their read too. */
    void readComplete() {
        for (int i = 0; i < readBatch.size(); i++) {
            readBatch.get(i).readComplete();
        }
        readBatch.clear();
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding, boolean endOfStream)
            throws Http2Exception {
        Http2Stream stream = connection.connection().stream(streamId);
        if (stream == null) {
            return; // refused or reset while its header block was decoded
        }
        Http2ServerStream s = stream.getProperty(key);
        try {
            if (s == null) {
                s = new Http2ServerStream(connection, this, stream);
                stream.setProperty(key, s);
                connection.streamOpened();
                s.onHead(headers, endOfStream);
            } else {
                s.onTrailers(headers);
            }
        } catch (RuntimeException e) {
            throw failed(ctx, streamId, e);
        }
    }

    /**
     * A stream's exchange failed with an unexpected exception: that stream is reset
     * ({@code INTERNAL_ERROR}, its exchange aborted as it closes), never the connection.
     */
    private static Http2Exception failed(ChannelHandlerContext ctx, int streamId, RuntimeException e) {
        STREAM_FAILED.warn("client={} stream={} cause={}", ctx.channel().remoteAddress(), streamId, e.getClass().getSimpleName());
        return Http2Exception.streamError(streamId, Http2Error.INTERNAL_ERROR, e, "stream failed");
    }

    @Override
    public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int streamDependency, short weight,
                              boolean exclusive, int padding, boolean endOfStream) throws Http2Exception {
        onHeadersRead(ctx, streamId, headers, padding, endOfStream);
    }

    /**
     * DATA for a stream: its bytes are returned to the client's window only once the exchange took
     * them ({@link Http2ServerStream#onData}); the padding at once, as it carries nothing.
     */
    @Override
    public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding, boolean endOfStream)
            throws Http2Exception {
        Http2Stream stream = connection.connection().stream(streamId);
        Http2ServerStream s = stream == null ? null : stream.getProperty(key);
        if (s == null) {
            return data.readableBytes() + padding;
        }
        try {
            return padding + s.onData(data, endOfStream);
        } catch (RuntimeException e) {
            throw failed(ctx, streamId, e);
        }
    }

    @Override
    public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
        LOG.debug("event=http2.stream-reset-by-client client={} stream={} error={}", ctx.channel().remoteAddress(), streamId,
                errorCode);
    }

    /** A stream closed: reset by the client or the proxy, or both sides done; its exchange, if still under way, is aborted. */
    @Override
    public void onStreamClosed(Http2Stream stream) {
        Http2ServerStream s = stream.removeProperty(key);
        if (s != null) {
            s.closed();
        }
    }

    @Override
    public void writabilityChanged(Http2Stream stream) {
        if (sendFlow.isWritable(stream)) {
            Http2ServerStream s = stream.getProperty(key);
            if (s != null) {
                s.writable();
            }
        }
    }

    @Override
    public void onStreamAdded(Http2Stream stream) {
    }

    @Override
    public void onStreamActive(Http2Stream stream) {
    }

    @Override
    public void onStreamHalfClosed(Http2Stream stream) {
    }

    @Override
    public void onStreamRemoved(Http2Stream stream) {
    }

    @Override
    public void onGoAwaySent(int lastStreamId, long errorCode, ByteBuf debugData) {
    }

    @Override
    public void onGoAwayReceived(int lastStreamId, long errorCode, ByteBuf debugData) {
    }
}
