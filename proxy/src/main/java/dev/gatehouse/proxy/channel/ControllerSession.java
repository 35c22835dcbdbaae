package dev.gatehouse.proxy.channel;

import dev.gatehouse.config.channel.ChannelCodec;
import dev.gatehouse.config.channel.ChannelMessage;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;


/**
 * One connection to the controller: says hello once the WebSocket handshake completes, hands
 * each message to the {@link ChannelClient} (which decodes and applies it off this loop and writes back
 * its ack or nack), refuses a message over the limit with a NACK, pings when
 * quiet and closes when the controller is silent. Records why the connection ended, so the
 * client can log it once. Confined to the client's event loop.
 */
final class ControllerSession extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ControllerSession.class);

    private final ChannelClient client;
    private boolean handshaken;
    private long handshakenAtNanos;
    private String endReason;

    ControllerSession(ChannelClient client) {
        this.client = client;
    }

    boolean handshaken() {
        return handshaken;
    }

    long handshakenAtNanos() {
        return handshakenAtNanos;
    }

    /** Why the connection ended, as far as this session saw; null when it just closed. */
    String endReason() {
        return endReason;
    }

    /** True when the controller refused the token (HTTP 401). */
    boolean unauthorized() {
        return "unauthorized".equals(endReason);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            handshaken = true;
            handshakenAtNanos = System.nanoTime();
            client.handshaken(ctx.channel());
            return;
        }
        if (evt == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
            endReason = "handshake-timeout";
            return;
        }
        if (evt instanceof IdleStateEvent idle) {
            if (idle.state() == IdleState.READER_IDLE) {
                endReason = "idle-timeout";
                ctx.close();
            } else if (idle.state() == IdleState.WRITER_IDLE && handshaken) {
                ctx.writeAndFlush(new PingWebSocketFrame());
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame frame)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            if (frame instanceof CloseWebSocketFrame close) {
                endReason = "closed-by-controller status=" + close.statusCode()
                        + (close.reasonText().isEmpty() ? "" : " text='" + close.reasonText() + "'");
                // RFC 6455 §5.5.1: answer with a close frame, then the connection is done
                int code = close.statusCode();
                ctx.writeAndFlush(WebSocketCloseStatus.isValidStatusCode(code)
                                ? new CloseWebSocketFrame(code, "") : new CloseWebSocketFrame())
                        .addListener(ChannelFutureListener.CLOSE);
                return;
            }
            if (!(frame instanceof TextWebSocketFrame)) {
                return;
            }
            client.receive(ctx.channel(), frame.content().retain()); // decoded and applied off this loop
        } finally {
            ReferenceCountUtil.release(frame);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException && handshaken) {
            // the aggregator dropped a message over the limit and discards its remaining fragments: refuse it, stay connected
            client.oversize(ctx.channel(), cause.getMessage(), false);
            return;
        }
        if (cause instanceof DecompressionException && handshaken) {
            // one frame inflated past the limit: refuse it; the inflater's state is lost, so reconnect after
            endReason = "oversize-frame";
            client.oversize(ctx.channel(), "a frame inflates past the limit: " + cause.getMessage(), true);
            return;
        }
        if (cause instanceof WebSocketClientHandshakeException hs && hs.response() != null) {
            HttpResponseStatus status = hs.response().status();
            endReason = status.code() == 401 ? "unauthorized" : "handshake-status-" + status.code();
        } else {
            endReason = FailureReason.describe(cause);
        }
        ctx.close();
    }

    static TextWebSocketFrame frame(ChannelMessage message) {
        return new TextWebSocketFrame(Unpooled.wrappedBuffer(ChannelCodec.encode(message)));
    }
}
