package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.http.ErrorReply;
import dev.gatehouse.proxy.http.ForwardedFor;
import dev.gatehouse.proxy.http.HopByHop;
import dev.gatehouse.proxy.http.Http2RequestCheck;
import dev.gatehouse.proxy.http.ProxyHeaders;
import dev.gatehouse.proxy.http.RequestGate;
import dev.gatehouse.proxy.observe.EdgeMeters;
import dev.gatehouse.proxy.observe.RequestObserver;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP/2 stream, the {@link Downstream} of its one {@link Exchange}: the last handler of
 * the stream's child channel, after Netty's HTTP/2 ↔ HTTP object codec, so the exchange sees the
 * {@code HttpRequest} and {@code HttpContent}s of an HTTP/1.1 request and writes an HTTP/1.1
 * response. What differs from {@link ClientHandler}:
 *
 * <ul>
 * <li>Flow control is the backpressure: the child channel has {@code AUTO_READ} off and reads
 * only when the exchange asks for request body ({@link #read}); the stream's window is returned
 * to the client only for what was read, so a slow target slows the client's DATA frames. The
 * response is written while the stream is writable (its send window and the connection's).</li>
 * <li>No keep-alive: a stream is one request. A response complete before the request
 * (a refusal, 413, a target that answered early) is followed by {@code RST_STREAM NO_ERROR}
 * once written (RFC 9113 §8.1); a response cut short is a {@code RST_STREAM INTERNAL_ERROR};
 * a client's reset aborts only this exchange (its upstream connection is closed, never pooled).</li>
 * <li>The request passes {@link Http2RequestCheck} first (Host from {@code :authority}); its
 * head then carries version 2.0 for the access log ({@code protocol: HTTP/2}).</li>
 * </ul>
 */
final class Http2StreamHandler extends ChannelInboundHandlerAdapter implements Downstream {
    private static final Logger LOG = LoggerFactory.getLogger(Http2StreamHandler.class);
    /** The version an HTTP/2 stream's head carries once checked; upstream requests are always HTTP/1.1. */
    static final HttpVersion HTTP_2 = new HttpVersion("HTTP", 2, 0, true);

    private final Http2ClientConnection connection;
    private final Http2ResponseWrites writes;
    private final Http2StreamIdle idle;
    private ChannelHandlerContext ctx;
    private ResponseSink response;
    private Exchange current;
    private boolean headSeen;
    private boolean closed;

    Http2StreamHandler(Http2ClientConnection connection, Http2ResponseWrites writes, Http2StreamIdle idle) {
        this.connection = connection;
        this.writes = writes;
        this.idle = idle;
    }

    @Override
    public ResponseSink response() {
        return response;
    }

    /** The HTTP/2 connection, not the stream: its listener and local port are the request's. */
    @Override
    public Channel connection() {
        return ctx.channel().parent();
    }

    @Override
    public DataPlane plane() {
        return connection.front().plane();
    }

    @Override
    public UpstreamPool pool() {
        return connection.pool();
    }

    @Override
    public EdgeMeters edge() {
        return connection.front().edge();
    }

    @Override
    public RequestObserver observer() {
        return connection.front().observer();
    }

    @Override
    public ForwardedFor forwarded() {
        return connection.forwarded();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.response = new Http1Response(ctx);
    }

    /** The stream exists because its HEADERS arrived: read them; its idle timeout counts from now. */
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        idle.start(this, ctx.executor());
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        idle.activity();
        if (closed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest req) {
            if (headSeen) {
                ReferenceCountUtil.release(msg);
                return;
            }
            headSeen = true;
            if (msg instanceof FullHttpRequest full) {
                // HEADERS with END_STREAM: a head and an empty end, as the HTTP/1.1 decoder yields them
                HttpRequest head = new DefaultHttpRequest(full.protocolVersion(), full.method(), full.uri(), full.headers());
                full.release();
                start(head, true);
            } else {
                start(req, false);
            }
        } else if (msg instanceof HttpContent c && current != null && !current.requestComplete()) {
            current.onClientContent(c);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    private void start(HttpRequest req, boolean complete) {
        Http2RequestCheck.Refusal refusal = Http2RequestCheck.check(req, connection.front().limits());
        if (refusal != null) {
            refuse(req, refusal, complete);
            return;
        }
        req.setProtocolVersion(HTTP_2);
        plane().requestStarted();
        current = new Exchange(this, req);
        current.start();
        if (complete && current != null) {
            current.onClientContent(LastHttpContent.EMPTY_LAST_CONTENT);
        }
    }

    /** The head failed {@link Http2RequestCheck}: answered here, as the HTTP/1.1 gate answers, and never an exchange. */
    private void refuse(HttpRequest req, Http2RequestCheck.Refusal refusal, boolean complete) {
        closed = true;
        String requestId = req.headers().get(ProxyHeaders.X_REQUEST_ID);
        edge().count(refusal.reason());
        RequestGate.REQUEST_REFUSED.info("client={} status={} request_id={} protocol=HTTP/2 reason=\"{}\"",
                ctx.channel().parent().remoteAddress(), refusal.status().code(), requestId, refusal.message());
        FullHttpResponse res = ErrorReply.forRequest(ctx.alloc(), req, refusal.status(), refusal.message(), requestId, false);
        observer().refused(requestId, forwarded().peer(), refusal.status().code(), res.content().readableBytes());
        ChannelFuture written = ctx.writeAndFlush(res);
        if (!complete) {
            resetWhenWritten(written);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (current != null) {
            current.onClientReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (current != null && ctx.channel().isWritable()) {
            current.onClientWritable();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void read() {
        if (!closed) {
            ctx.read();
        }
    }

    /** HTTP/2 frames the body itself: only hop-by-hop fields go (RFC 9113 §8.2.2), and {@code Via} is appended. */
    @Override
    public boolean rewriteHead(HttpRequest request, HttpResponse response, boolean bodyAllowed) {
        HopByHop.strip(response.headers());
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        UpstreamRequest.appendVia(response.headers());
        return false;
    }

    /** The stream (never the connection) is reset after the reply when the body is still coming or must not be read. */
    @Override
    public boolean closesAfterReply(boolean mustClose, boolean bodyPending) {
        return mustClose || bodyPending;
    }

    /** A gRPC call gets a trailers-only gRPC status, as on HTTP/1.1 ({@code GrpcReply}); never a Connection header. */
    @Override
    public FullHttpResponse reply(HttpRequest request, HttpResponseStatus status, String message, String requestId,
                                  boolean close) {
        return ErrorReply.forRequest(ctx.alloc(), request, status, message, requestId, false);
    }

    /**
     * The exchange is over. With {@code close} and request body still coming, the stream is reset
     * with {@code NO_ERROR} once the response is written: the client stops sending (RFC 9113 §8.1).
     */
    @Override
    public void exchangeDone(Exchange e, boolean close) {
        if (current != e) {
            return;
        }
        current = null;
        plane().requestEnded();
        if (close && !e.requestComplete()) {
            closed = true;
            ctx.flush();
            resetWhenWritten(writes.lastWrite());
            return;
        }
        ctx.flush();
    }

    /** {@code RST_STREAM NO_ERROR} once {@code lastWrite} (the response's end) left; at once without one. */
    private void resetWhenWritten(ChannelFuture lastWrite) {
        if (lastWrite == null) {
            resetNoError();
        } else {
            lastWrite.addListener(f -> resetNoError());
        }
    }

    /**
     * Resets the stream, then reads it dry. DATA frames that arrived after the head but were not
     * read (the exchange stopped asking) wait in the stream's channel, and with {@code AUTO_READ}
     * off Netty closes a stream's channel only once its queue is read: left alone, the channel
     * would stay open holding them for the connection's life. Read now, they are released
     * ({@link #channelRead}, {@code closed}) and the channel closes with the stream.
     */
    private void resetNoError() {
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR))
                    .addListener(f -> ctx.channel().config().setAutoRead(true));
        }
    }

    /** The response cannot be completed: the client sees the stream reset, never a complete response. */
    @Override
    public void abort() {
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.INTERNAL_ERROR));
        }
        ctx.channel().close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        idle.stop();
        Exchange e = current;
        if (e != null) {
            LOG.debug("event=http2.stream-closed client={} stream={} mid-request", ctx.channel().parent().remoteAddress(),
                    ctx.channel());
            current = null;
            plane().requestEnded();
            e.abort();
        }
        ctx.fireChannelInactive();
    }

    /**
     * The client reset the stream ({@code RST_STREAM}): the stream closes, and its exchange with it
     * ({@link #channelInactive}).
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Http2ResetFrame reset) {
            LOG.debug("event=http2.stream-reset-by-client client={} error={}", ctx.channel().parent().remoteAddress(),
                    reset.errorCode());
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /**
     * The stream was silent for the client idle timeout ({@link Http2StreamIdle}): reset
     * ({@code CANCEL}) when its client stalls the request body or does not take the response; a
     * stream waiting on its target is left to the target's timeouts.
     */
    void idle() {
        Exchange e = current;
        if (e != null && (!e.requestComplete() || e.waitingOnClient())) {
            edge().count(EdgeMeters.Reason.IDLE_TIMEOUT);
            LOG.debug("event=client.idle client={} protocol=HTTP/2 waiting_for={}", ctx.channel().parent().remoteAddress(),
                    !e.requestComplete() ? "request-body" : "response-read");
            ctx.channel().close();
        }
    }

    /**
     * A head the codec could not convert (a stream error of the request): the stream is reset
     * with {@code PROTOCOL_ERROR}. A stream error the connection's codec found (a Content-Length
     * the DATA frames belie) arrives as an {@code Http2Exception}: the multiplexer resets the
     * stream with its error right after. Anything else closes the stream ({@code CANCEL}).
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("event=http2.stream-failed client={} cause={}", ctx.channel().parent().remoteAddress(),
                cause.getClass().getSimpleName());
        if (cause instanceof Http2Exception) {
            return;
        }
        if (cause instanceof DecoderException && ctx.channel().isActive()) {
            ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.PROTOCOL_ERROR));
        }
        ctx.channel().close();
    }
}
