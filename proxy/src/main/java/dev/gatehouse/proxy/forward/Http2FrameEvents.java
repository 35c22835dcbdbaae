package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.observe.EdgeMeters;
import dev.gatehouse.proxy.observe.RateLimitedLog;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameLogger;
import io.netty.handler.logging.LogLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;

/**
 * Counts what Netty's HTTP/2 codec refuses on the proxy's behalf, from the frames it sends back:
 * a {@code GOAWAY} with an error closes a client's connection (a rapid-reset flood, a header
 * block past the limit, a frame flood, any other protocol error), a {@code RST_STREAM} refuses
 * one stream ({@code REFUSED_STREAM} beyond the concurrent-stream limit, {@code PROTOCOL_ERROR}
 * for a malformed request). Each lands in {@code gatehouse_client_refused_total{reason}} and a
 * rate-limited log line naming the client, the reason and the error code (never frame content).
 *
 * <p>It is the codec's frame logger, the one hook that sees both the errors Netty raises and the
 * streams it refuses before they exist; frame-by-frame logging stays at TRACE. Shared by every
 * connection of a proxy: it holds no state.
 */
final class Http2FrameEvents extends Http2FrameLogger {
    private static final Logger LOG = LoggerFactory.getLogger(Http2FrameEvents.class);
    private static final RateLimitedLog CONNECTION_ERROR = RateLimitedLog.of(LOG, "http2.connection-error");
    private static final RateLimitedLog STREAM_REFUSED = RateLimitedLog.of(LOG, "http2.stream-refused");

    private final EdgeMeters edge;

    Http2FrameEvents(EdgeMeters edge) {
        super(LogLevel.TRACE, Http2FrameEvents.class);
        this.edge = edge;
    }

    @Override
    public void logRstStream(Direction direction, ChannelHandlerContext ctx, int streamId, long errorCode) {
        super.logRstStream(direction, ctx, streamId, errorCode);
        if (direction != Direction.OUTBOUND) {
            return;
        }
        EdgeMeters.Reason reason = errorCode == Http2Error.REFUSED_STREAM.code() ? EdgeMeters.Reason.HTTP2_REFUSED_STREAM
                : errorCode == Http2Error.PROTOCOL_ERROR.code() ? EdgeMeters.Reason.HTTP2_MALFORMED : null;
        if (reason != null) {
            edge.count(reason);
            STREAM_REFUSED.info("client={} stream={} reason={} error={}", ctx.channel().remoteAddress(), streamId,
                    tag(reason), errorName(errorCode));
        }
    }

    @Override
    public void logGoAway(Direction direction, ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
        super.logGoAway(direction, ctx, lastStreamId, errorCode, debugData);
        if (direction != Direction.OUTBOUND || errorCode == Http2Error.NO_ERROR.code()) {
            return;
        }
        EdgeMeters.Reason reason = classify(debugData.toString(debugData.readerIndex(), debugData.readableBytes(),
                StandardCharsets.UTF_8));
        edge.count(reason);
        CONNECTION_ERROR.warn("client={} reason={} error={} last_stream={} (the client's connection is closed)",
                ctx.channel().remoteAddress(), tag(reason), errorName(errorCode), lastStreamId);
    }

    /** Which defence closed the connection, by the codec's message (Netty 4.2: Http2MaxRstFrameListener, DefaultHttp2FrameReader, ...). */
    static EdgeMeters.Reason classify(String message) {
        if (message.contains("RST frames")) {
            return EdgeMeters.Reason.HTTP2_RAPID_RESET;
        }
        if (message.contains("Header size exceeded") || message.contains("CONTINUATION")) {
            return EdgeMeters.Reason.HTTP2_HEADER_FLOOD;
        }
        if (message.contains("control frames") || message.contains("empty data frames")) {
            return EdgeMeters.Reason.HTTP2_FRAME_FLOOD;
        }
        return EdgeMeters.Reason.HTTP2_PROTOCOL_ERROR;
    }

    private static String tag(EdgeMeters.Reason reason) {
        return reason.name().toLowerCase(java.util.Locale.ROOT);
    }

    private static String errorName(long code) {
        Http2Error e = Http2Error.valueOf(code);
        return e == null ? Long.toString(code) : e.name();
    }
}
