package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.ClientLimits;
import dev.gatehouse.proxy.http.BadRequest;
import dev.gatehouse.proxy.http.ErrorReply;
import dev.gatehouse.proxy.http.ForwardedFor;
import dev.gatehouse.proxy.http.StrictRequestDecoder;
import dev.gatehouse.proxy.http.TrustedProxies;
import dev.gatehouse.proxy.http.WebSocketUpgrade;
import dev.gatehouse.proxy.observe.EdgeMeters;
import dev.gatehouse.proxy.observe.RequestObserver;
import dev.gatehouse.proxy.tls.ClientTls;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;

/**
 * The last handler of an HTTP/1.1 client connection (after the {@code RequestGate}), its
 * {@link Downstream} ({@link Http1Response} the response sink): one {@link Exchange} at a time.
 * {@code AUTO_READ} is off: it reads when it waits for a request or the exchange takes more body.
 * Pipelined requests wait in order. A {@link ClientIdle} in front reports a connection
 * silent for the client idle timeout ({@link #userEventTriggered}).
 */
public final class ClientHandler extends ChannelInboundHandlerAdapter implements Downstream {
    private static final Logger LOG = LoggerFactory.getLogger(ClientHandler.class);
    /**
     * The most a closing TLS connection's response may still have to send for its {@code close_notify}
     * to go in the same write: one full TLS record, which a socket's send buffer takes at once.
     */
    private static final int CLOSE_WITH_RESPONSE_BYTES = 16 * 1024 + 256;

    private final DataPlane plane;
    private final UpstreamPool pool;
    private final RequestObserver observer;
    private final EdgeMeters edge;
    private final int maxRequests;
    private final TrustedProxies trustedProxies;
    /** The client-address rule for this connection's peer; see {@link #forwarded()}. */
    private ForwardedFor forwarded;
    private final ArrayDeque<Object> pending = new ArrayDeque<>();
    private ChannelHandlerContext ctx;
    private ResponseSink response;
    private Exchange current;
    /**
     * The exchange of this connection's requests, started again for each one once the previous
     * finished cleanly ({@link Exchange#reusable}); a new one otherwise.
     */
    private Exchange exchange;
    /** Whether the current request's client asked to keep the connection (read before its head is rewritten). */
    private boolean keepAlive;
    private boolean http11;
    /** Whether the current request said {@code TE: trailers} (read before its head is rewritten). */
    private boolean trailers;
    /** The current request asks for WebSocket: the decoder holds what follows it until the answer is known. */
    private boolean upgradeAsked;
    private boolean closed;
    /** True while {@link #dispatchPending} runs, so an exchange finishing inside it does not recurse. */
    private boolean dispatching;
    private int requests;
    /** Read batches and finished exchanges so far; the drain compares it between two sweeps ({@link #drainIfQuiet}). */
    private long activity;
    /** {@link #activity} at the drain's last sweep; -1 before the first, so a first sweep never closes. */
    private long activityAtSweep = -1;

    public ClientHandler(DataPlane plane, UpstreamPool pool, RequestObserver observer, ClientLimits limits, EdgeMeters edge,
                         TrustedProxies trustedProxies) {
        this.plane = plane;
        this.trustedProxies = trustedProxies;
        this.pool = pool;
        this.observer = observer;
        this.edge = edge;
        this.maxRequests = limits.maxRequestsPerConnection();
    }

    @Override
    public EdgeMeters edge() {
        return edge;
    }

    @Override
    public RequestObserver observer() {
        return observer;
    }

    @Override
    public Channel connection() {
        return ctx.channel();
    }

    @Override
    public ResponseSink response() {
        return response;
    }

    @Override
    public UpstreamPool pool() {
        return pool;
    }

    @Override
    public DataPlane plane() {
        return plane;
    }

    /** The client-address rule of this connection (made once, on its first use: the peer never changes). */
    @Override
    public ForwardedFor forwarded() {
        if (forwarded == null) {
            forwarded = ForwardedFor.of(trustedProxies, ctx.channel().remoteAddress());
        }
        return forwarded;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        this.response = new Http1Response(ctx);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.read();
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (!pending.isEmpty() || (current != null && current.requestComplete())) {
            pending.add(msg);
            return;
        }
        dispatch(msg);
    }

    private void dispatch(Object msg) {
        if (msg instanceof HttpRequest req) {
            upgradeAsked = WebSocketUpgrade.requested(req.headers());
            boolean last = ++requests >= maxRequests;
            if (last) {
                // the connection's last request: its response says Connection: close (an upgrade keeps
                // its Connection header, which asks for the switch: a 101 ends HTTP on the connection anyway)
                if (!upgradeAsked) {
                    HttpUtil.setKeepAlive(req, false);
                }
                edge.count(EdgeMeters.Reason.MAX_REQUESTS);
                LOG.debug("event=connection.max_requests client={} requests={}", ctx.channel().remoteAddress(), requests);
            }
            plane.requestStarted();
            keepAlive = HttpUtil.isKeepAlive(req) && !last;
            http11 = req.protocolVersion().equals(HttpVersion.HTTP_1_1);
            trailers = http11 && req.headers().containsValue(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS, true);
            Exchange e = exchange;
            if (e == null || !e.reusable()) {
                e = new Exchange(this);
                exchange = e;
            }
            current = e;
            e.start(req);
            if (msg instanceof HttpContent c) {
                dispatch(c);
            }
        } else if (msg instanceof HttpContent c && current != null && !current.requestComplete()) {
            current.onClientContent(c);
        } else if (msg instanceof BadRequest bad) {
            if (current != null && !current.requestComplete()) {
                current.onBadBody(bad);
            } else {
                closed = true;
                var reply = ErrorReply.of(ctx.alloc(), bad.status(), bad.message(), bad.requestId(), true);
                observer.refused(bad.requestId(), forwarded().peer(), bad.status().code(), reply.content().readableBytes());
                ctx.writeAndFlush(reply).addListener(ChannelFutureListener.CLOSE);
                releasePending();
            }
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        activity++;
        if (current != null) {
            current.onClientReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (current != null && ctx.channel().isWritable()) {
            current.onClientWritable();
        }
    }

    /** HTTP/1.1: the decoder frames the body by the head (Content-Length or chunked, else none). */
    @Override
    public boolean headFramesBody() {
        return true;
    }

    /** HTTP/1.1: the encoder after this handler writes a response head to bytes within its write. */
    @Override
    public boolean readsHeadAtOnce() {
        return true;
    }

    @Override
    public boolean acceptsTrailers() {
        return trailers;
    }

    @Override
    public void read() {
        if (!closed) {
            ctx.read();
        }
    }

    /** The exchange's response is written and its request fully received, or the connection must close. */
    @Override
    public void exchangeDone(Exchange e, boolean close) {
        if (current != e) {
            return;
        }
        current = null;
        activity++;
        plane.requestEnded();
        // While draining, a response whose head went out before the drain said keep-alive: the client
        // may already be sending its next request, so the connection stays; that request is answered
        // with Connection: close, or the drain closes the connection once it is quiet.
        if (close) {
            LOG.debug("closing client connection {} after its response", ctx.channel().remoteAddress());
            closed = true;
            closeAfterResponse();
            releasePending();
            return;
        }
        dispatchPending(); // the exchange flushed its response before it called this
    }

    /** The exchange leaves the flush of a closing connection's response to {@link #closeAfterResponse}. */
    @Override
    public boolean flushesWithClose() {
        return true;
    }

    /**
     * Flushes what is left of the response, then closes. Over TLS, when that is at most
     * {@link #CLOSE_WITH_RESPONSE_BYTES}, the flush is held below the TLS handler and the close
     * takes it along: the response's last records and {@code close_notify} leave in one write
     * ({@link ClientIdle}), and the TLS handler closes once they left (within its close_notify flush
     * timeout, 3 s). Otherwise, and in cleartext, the close follows the flush's completion.
     */
    private void closeAfterResponse() {
        Channel ch = ctx.channel();
        // the attribute's value, not its presence: reading it (RequestPlan) makes it on a cleartext channel too
        ClientIdle idle = ch.attr(ClientTls.KEY).get() != null ? ctx.pipeline().get(ClientIdle.class) : null;
        if (idle != null) {
            idle.hold();
            try {
                ctx.flush(); // the TLS handler encrypts what is left; the flush stops at the idle handler
            } finally {
                idle.release();
            }
            ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
            if (out != null && out.totalPendingWriteBytes() <= CLOSE_WITH_RESPONSE_BYTES) {
                ctx.close();
                return;
            }
        }
        ctx.flush(); // the response, as the exchange would have flushed it
        // the empty write completes once everything written before it has left: then the close
        ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * Starts the pipelined requests that waited, one after the other, in a loop: an exchange the
     * proxy answers at once (404, 401) finishes inside {@code dispatch}, and its
     * {@link #exchangeDone} returns here instead of recursing, so a long pipeline cannot grow
     * the stack.
     */
    private void dispatchPending() {
        if (dispatching) {
            return;
        }
        dispatching = true;
        boolean dispatched = false;
        try {
            while (!closed && !pending.isEmpty() && (current == null || !current.requestComplete())) {
                dispatched = true;
                dispatch(pending.poll());
            }
        } finally {
            dispatching = false;
        }
        if (!closed && current == null) {
            if (dispatched) {
                ctx.flush();
            }
            readNextRequest();
        } else if (!closed && dispatched) {
            // What waited is a read batch of its own: the body the current exchange took from it is
            // flushed to its target now (no read of the client ends this batch to flush it)
            current.onClientReadComplete();
        }
    }

    /**
     * Reads on for the next request. After a WebSocket upgrade that did not become a tunnel (the
     * target or the proxy answered it otherwise), the decoder first decodes what it held back.
     */
    private void readNextRequest() {
        StrictRequestDecoder decoder = upgradeAsked ? ctx.pipeline().get(StrictRequestDecoder.class) : null;
        upgradeAsked = false;
        if (decoder == null) {
            ctx.read();
            return;
        }
        try {
            decoder.resume();
        } catch (Exception e) {
            exceptionCaught(ctx, e);
        }
    }

    /**
     * The exchange's connection became a WebSocket {@link Tunnel}, which replaces this handler:
     * the request is over as far as this connection is concerned (in-flight count, drain sweeps).
     */
    void tunnelled() {
        if (current != null) {
            current = null;
            plane.requestEnded();
        }
        closed = true;
        releasePending();
    }

    @Override
    public boolean rewriteHead(HttpRequest request, HttpResponse response, boolean bodyAllowed) {
        return ResponseHead.rewrite(response, bodyAllowed, http11, keepAlive && !plane.draining());
    }

    /** Closes after the reply when asked to, when the client did not keep alive, when its body is still coming, or when draining. */
    @Override
    public boolean closesAfterReply(boolean mustClose, boolean bodyPending) {
        return mustClose || !keepAlive || bodyPending || plane.draining();
    }

    @Override
    public FullHttpResponse reply(HttpRequest request, HttpResponseStatus status, String message, String requestId,
                                  boolean close) {
        FullHttpResponse res = ErrorReply.forRequest(ctx.alloc(), request, status, message, requestId, close);
        if (!http11 && !close) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        return res;
    }

    /** The client sees the response cut short: the connection closes. */
    @Override
    public void abort() {
        ctx.channel().close();
    }

    /**
     * A sweep of the drain ({@code dev.gatehouse.proxy.Drain}), on this connection's event loop:
     * takes a mark of its activity and, when {@code close}, closes it if it was quiet since the
     * previous mark: no request in flight or waiting, no byte read, no response finished. A
     * connection just opened (its first request on the way) or just answered keep-alive is thus
     * left to its next request, which is answered with {@code Connection: close}.
     *
     * <p>The close is a {@link HalfClose} ({@code close_notify} first over TLS, then FIN, then
     * what still arrives is dropped for {@code lingerMillis}): a request that crossed the FIN sees
     * an orderly end of stream before any response, which HTTP clients take as "server closed an
     * idle connection" (RFC 9112 §9.3.1: an idempotent request may be retried), never a reset.
     *
     * @return true when it started closing the connection
     */
    public boolean drainIfQuiet(boolean close, long lingerMillis) {
        boolean quiet = !closed && current == null && pending.isEmpty() && activity == activityAtSweep;
        activityAtSweep = activity;
        if (!close || !quiet) {
            return false;
        }
        closed = true;
        Channel ch = ctx.channel();
        LOG.debug("event=drain.idle-close client={}", ch.remoteAddress());
        HalfClose.start(ch, lingerMillis);
        return true;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        LOG.debug("client connection {} closed{}", ctx.channel().remoteAddress(), current == null ? "" : " mid-request");
        closed = true;
        Exchange e = current;
        if (e != null) {
            current = null;
            plane.requestEnded();
            e.abort();
        }
        releasePending();
        ctx.fireChannelInactive();
    }

    private void releasePending() {
        for (Object m = pending.poll(); m != null; m = pending.poll()) {
            ReferenceCountUtil.release(m);
        }
    }

    /**
     * The connection saw no byte either way for the client idle timeout: close it when it waits
     * for a request (keep-alive idle, or a head that never completes), for request body that
     * stopped coming, or for the client to take the response it stopped reading (the proxy holds
     * the target back meanwhile). A request waiting on its target is left to the target's read timeout.
     */
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent) {
            if (current == null || !current.requestComplete() || current.waitingOnClient()) {
                edge.count(EdgeMeters.Reason.IDLE_TIMEOUT);
                LOG.debug("event=client.idle client={} waiting_for={}", ctx.channel().remoteAddress(),
                        current == null ? "request" : !current.requestComplete() ? "request-body" : "response-read");
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // the exception's class only: a decoder's message can quote the client's bytes, keys included
        LOG.debug("event=client.failed client={} cause={}", ctx.channel().remoteAddress(), cause.getClass().getSimpleName());
        ctx.close();
    }
}
