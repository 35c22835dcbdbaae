package dev.gatehouse.proxy.forward;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.HttpConversionUtil;

/**
 * The response side of one HTTP/2 stream ({@link Http2ServerStream}): the {@link ResponseSink}
 * that turns what the exchange writes as on HTTP/1.1 into the stream's frames, written on the
 * connection's encoder (HPACK, flow control) and sent by the connection's flush.
 *
 * <ul>
 * <li>a head is a HEADERS frame (connection-specific fields dropped, RFC 9113 §8.2.2); an interim
 * one (1xx) too, without END_STREAM (§8.1), and the empty end that follows it is not a frame; a
 * {@code 101} has no meaning on a stream (§8.6) and is dropped with its end;</li>
 * <li>body pieces are DATA frames; the end is DATA with END_STREAM, or, with trailers (gRPC's
 * {@code grpc-status}), a last HEADERS frame with END_STREAM;</li>
 * <li>each write is activity for the stream's idle timeout ({@link Http2StreamIdle});</li>
 * <li>{@link #lastWrite()} completes when the response's last frame left the flow controller:
 * a stream reset after a complete response waits for it, so the reset never cuts the response.</li>
 * </ul>
 */
abstract class Http2StreamResponse implements ResponseSink {
    final Http2ClientConnection connection;
    final Http2Stream stream;
    final Http2StreamIdle idle;
    private final Http2ConnectionEncoder encoder;
    private final ChannelHandlerContext ctx;
    /** The empty last content that follows an interim head: not a DATA frame. */
    private boolean afterInterim;
    private ChannelFuture lastWrite;

    Http2StreamResponse(Http2ClientConnection connection, Http2Stream stream, Http2StreamIdle idle) {
        this.connection = connection;
        this.stream = stream;
        this.idle = idle;
        this.encoder = connection.encoder();
        this.ctx = connection.ctx();
    }

    /** The stream can take frames: it is open on the proxy's side (not reset, its end not sent). */
    private boolean open() {
        Http2Stream.State s = stream.state();
        return s == Http2Stream.State.OPEN || s == Http2Stream.State.HALF_CLOSED_REMOTE;
    }

    @Override
    public void writeHead(HttpResponse head) {
        idle.activity();
        if (!open()) {
            return;
        }
        if (head.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
            afterInterim = true;
            if (head.status().code() == 101) {
                return; // no meaning on a stream: dropped, with the empty end that follows it
            }
        }
        encoder.writeHeaders(ctx, stream.id(), HttpConversionUtil.toHttp2Headers(head, true), 0, false, ctx.voidPromise());
    }

    @Override
    public void writeContent(HttpContent content) {
        idle.activity();
        if (afterInterim) {
            if (content instanceof LastHttpContent) {
                afterInterim = false;
            }
            content.release();
            return;
        }
        if (!open()) {
            content.release();
            return;
        }
        ByteBuf data = content.content();
        if (!(content instanceof LastHttpContent last)) {
            if (data.isReadable()) {
                encoder.writeData(ctx, stream.id(), data, 0, false, ctx.voidPromise());
            } else {
                content.release();
            }
            return;
        }
        if (last.trailingHeaders().isEmpty()) {
            lastWrite = encoder.writeData(ctx, stream.id(), data, 0, true, ctx.newPromise());
            return;
        }
        if (data.isReadable()) {
            encoder.writeData(ctx, stream.id(), data, 0, false, ctx.voidPromise());
        } else {
            data.release();
        }
        lastWrite = encoder.writeHeaders(ctx, stream.id(), HttpConversionUtil.toHttp2Headers(last.trailingHeaders(), true), 0,
                true, ctx.newPromise());
    }

    @Override
    public void writeReply(FullHttpResponse reply) {
        idle.activity();
        if (!open()) {
            reply.release();
            return;
        }
        ByteBuf body = reply.content();
        boolean trailers = !reply.trailingHeaders().isEmpty();
        boolean endInHead = !body.isReadable() && !trailers;
        ChannelFuture f = encoder.writeHeaders(ctx, stream.id(), HttpConversionUtil.toHttp2Headers(reply, true), 0, endInHead,
                endInHead ? ctx.newPromise() : ctx.voidPromise());
        if (endInHead) {
            body.release();
            lastWrite = f;
            return;
        }
        writeContent(reply); // a full response is a last content too: its body, then its trailers
    }

    @Override
    public void flush() {
        connection.flushSoon();
    }

    /** The stream's send window, the connection's, and the socket's buffer all take more. */
    @Override
    public boolean isWritable() {
        return open() && connection.encoder().flowController().isWritable(stream);
    }

    /** The write of the response's end; null before it. */
    ChannelFuture lastWrite() {
        return lastWrite;
    }
}
