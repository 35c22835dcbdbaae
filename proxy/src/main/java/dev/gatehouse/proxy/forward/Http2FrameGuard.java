package dev.gatehouse.proxy.forward;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.util.ReferenceCountUtil;

/**
 * In front of the HTTP/2 codec: refuses the one CONTINUATION flood Netty's byte limit cannot
 * see. Netty closes a header block whose fragments grow past 1.25 × the header list limit, so
 * non-empty CONTINUATION frames are bounded; empty ones without END_HEADERS add nothing to the
 * block and could keep a connection busy forever (and its idle timeout never fires while they
 * come). As Envoy's {@code max_consecutive_inbound_frames_with_empty_payload} (1), a second
 * empty CONTINUATION frame in a row ends the connection with {@code GOAWAY ENHANCE_YOUR_CALM}
 * ({@code http2_header_flood}). No valid client sends one: it carries nothing.
 *
 * <p>It reads only frame headers (9 bytes), jumping over payloads: one pass per frame, not per
 * byte, and the bytes go on untouched.
 */
final class Http2FrameGuard extends ChannelInboundHandlerAdapter {
    private static final int PREFACE_LENGTH = 24;
    private static final int FRAME_HEADER_LENGTH = 9;
    private static final byte CONTINUATION = 0x9;
    private static final int END_HEADERS = 0x4;

    private final Http2ConnectionHandler codec;
    private final byte[] header = new byte[FRAME_HEADER_LENGTH];
    private int headerFill;
    private int prefaceLeft = PREFACE_LENGTH;
    private int payloadLeft;
    private boolean emptyContinuation;
    private boolean tripped;

    Http2FrameGuard(Http2ConnectionHandler codec) {
        this.codec = codec;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (tripped) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!(msg instanceof ByteBuf buf)) {
            ctx.fireChannelRead(msg);
            return;
        }
        int start = buf.readerIndex();
        int end = buf.writerIndex();
        int i = start;
        while (i < end) {
            if (prefaceLeft > 0) {
                int n = Math.min(prefaceLeft, end - i);
                prefaceLeft -= n;
                i += n;
            } else if (payloadLeft > 0) {
                int n = Math.min(payloadLeft, end - i);
                payloadLeft -= n;
                i += n;
            } else {
                header[headerFill++] = buf.getByte(i++);
                if (headerFill == FRAME_HEADER_LENGTH && frameHeader()) {
                    tripped = true;
                    ctx.fireChannelRead(buf.retainedSlice(start, i - start));
                    buf.release();
                    codec.onError(ctx.pipeline().context(codec), false, Http2Exception.connectionError(
                            Http2Error.ENHANCE_YOUR_CALM, "CONTINUATION flood: empty CONTINUATION frames without END_HEADERS"));
                    return;
                }
            }
        }
        ctx.fireChannelRead(buf);
    }

    /** A frame header is complete: note its payload; true when it is the second empty CONTINUATION in a row. */
    private boolean frameHeader() {
        headerFill = 0;
        payloadLeft = (header[0] & 0xff) << 16 | (header[1] & 0xff) << 8 | (header[2] & 0xff);
        boolean empty = header[3] == CONTINUATION && payloadLeft == 0 && (header[4] & END_HEADERS) == 0;
        boolean flood = empty && emptyContinuation;
        emptyContinuation = empty;
        return flood;
    }
}
