package dev.gatehouse.proxy.forward;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * Between a stream's {@link Http2StreamHandler} and Netty's HTTP/2 ↔ HTTP object codec, on the
 * way out: adapts what the exchange writes as on HTTP/1.1 to what the codec takes, and keeps the
 * promise of the response's last write.
 *
 * <ul>
 * <li>An interim response (1xx) arrives from the target as a head and an empty last content;
 * the codec wants one full response, sent as a HEADERS frame without END_STREAM (RFC 9113
 * §8.1). A {@code 101} has no meaning on a stream (§8.6) and is dropped.</li>
 * <li>Each write is activity for the stream's idle timeout ({@link Http2StreamIdle}).</li>
 * <li>{@link #lastWrite()} completes when the response's last frame left the flow controller:
 * a stream reset after a complete response waits for it, so the reset never cuts the response.</li>
 * </ul>
 */
final class Http2ResponseWrites extends ChannelOutboundHandlerAdapter {
    /** The empty last content that follows an interim head: not a DATA frame. */
    private boolean afterInterim;
    private boolean dropInterim;
    private ChannelFuture lastWrite;
    private final Http2StreamIdle idle;

    Http2ResponseWrites(Http2StreamIdle idle) {
        this.idle = idle;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        idle.activity();
        if (msg instanceof HttpResponse res && !(msg instanceof FullHttpResponse)
                && res.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
            afterInterim = true;
            if (res.status().code() == 101) {
                dropInterim = true;
                promise.setSuccess();
                return;
            }
            ctx.write(new DefaultFullHttpResponse(res.protocolVersion(), res.status(), Unpooled.EMPTY_BUFFER, res.headers(),
                    EmptyHttpHeaders.INSTANCE), promise);
            return;
        }
        if (afterInterim) {
            if (msg instanceof LastHttpContent) {
                afterInterim = false;
                dropInterim = false;
                ReferenceCountUtil.release(msg);
                promise.setSuccess();
                return;
            }
            if (dropInterim) {
                ReferenceCountUtil.release(msg);
                promise.setSuccess();
                return;
            }
        }
        if (msg instanceof LastHttpContent) {
            promise = promise.unvoid();
            lastWrite = promise;
        }
        ctx.write(msg, promise);
    }

    /** The write of the response's end (a last content, or a full response); null before it. */
    ChannelFuture lastWrite() {
        return lastWrite;
    }
}
