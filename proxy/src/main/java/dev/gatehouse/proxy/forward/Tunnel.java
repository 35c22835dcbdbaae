package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.http.RequestGate;
import dev.gatehouse.proxy.http.StrictRequestDecoder;
import dev.gatehouse.proxy.http.WebSocketUpgrade;
import dev.gatehouse.proxy.http1.UpstreamCodec;
import dev.gatehouse.proxy.observe.RateLimitedLog;
import dev.gatehouse.proxy.observe.RequestRecord;
import dev.gatehouse.proxy.observe.RouteMeters.TunnelOutcome;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;

/**
 * A WebSocket connection through the proxy once the target switched protocols (RFC 6455 §4.2.2):
 * the client's connection and the target's carry raw bytes both ways; the proxy parses neither
 * frames nor HTTP any more. Everything runs on the client's event loop, which is also the
 * target connection's.
 *
 * <ul>
 *   <li><b>Hand-over</b> ({@link #open}): the 101 head, as the client sees it ({@link #rewriteHead}),
 *       is written first; then the HTTP handlers leave both pipelines. On the client's: the idle
 *       handler, the gate, the encoder, the {@link ClientHandler} (replaced by this tunnel's client
 *       side), last the decoder. On the target's: the {@link UpstreamHandler} (replaced), then the
 *       client codec. A decoder hands on what it still holds when it is removed — frames that came
 *       in the same packet as the 101, or right behind the upgrade request — so no byte is lost or
 *       taken for HTTP.</li>
 *   <li><b>Backpressure</b>, as Netty's HexDumpProxy example: AUTO_READ is off on both
 *       connections, and a side is read again only while the other side's connection is writable.
 *       What the proxy holds for a peer that stops reading is bounded by the write-buffer high
 *       water mark plus one read.</li>
 *   <li><b>Idle timeout</b>: no byte read either way for the route's {@code websocketIdleTimeout}
 *       (default 1 h) closes both connections ({@code event=websocket.idle-timeout}). The client
 *       idle timeout does not apply to a tunnel.</li>
 *   <li><b>Close</b>: when either connection closes (FIN or reset), what is pending for the other
 *       is flushed, then the other is closed; a side that does not take it is closed by the idle
 *       timeout. The drain leaves tunnels open until its timeout, then closes them
 *       ({@link #closeForDrain}).</li>
 *   <li>The target's connection never goes back to the pool. The target stays in flight (for
 *       least-connections balancing and the retry budget) until the tunnel closes; then the
 *       access-log line is written with the bytes each way and the duration.</li>
 * </ul>
 */
public final class Tunnel {
    private static final Logger LOG = LoggerFactory.getLogger(Tunnel.class);
    private static final RateLimitedLog IDLE = RateLimitedLog.of(LOG, "websocket.idle-timeout");

    /** A 101 the proxy does not switch on; the attempt fails as with any malformed response. */
    static final class UnexpectedSwitch extends Exception {
        private static final long serialVersionUID = 1L;

        UnexpectedSwitch() {
            super("101 Switching Protocols not to WebSocket, or not in answer to a WebSocket upgrade"
                    + " (expected: Upgrade: websocket and Sec-WebSocket-Accept, in answer to a WebSocket upgrade)", null,
                    false, false);
        }
    }

    static final UnexpectedSwitch UNEXPECTED_101 = new UnexpectedSwitch();

    private final DataPlane plane;
    private final CompiledRoute route;
    private final RequestRecord record;
    private final Attempts attempts;
    private final long idleNanos;
    private final Side clientSide;
    private final Side upstreamSide;
    private long lastReadNanos = System.nanoTime();
    private ScheduledFuture<?> idleTimer;
    /** Who ended the tunnel; null while both sides are open. */
    private TunnelOutcome outcome;
    private boolean finished;

    private Tunnel(DataPlane plane, Channel client, Channel upstream, CompiledRoute route, RequestRecord record,
                   Attempts attempts) {
        this.plane = plane;
        this.route = route;
        this.record = record;
        this.attempts = attempts;
        this.idleNanos = TimeUnit.MILLISECONDS.toNanos(route.route().websocketIdleTimeout());
        this.clientSide = new Side(client, TunnelOutcome.CLIENT_CLOSED);
        this.upstreamSide = new Side(upstream, TunnelOutcome.UPSTREAM_CLOSED);
        clientSide.other = upstreamSide;
        upstreamSide.other = clientSide;
    }

    /**
     * Whether the target's {@code 101} is refused: it is switched on only in answer to a WebSocket
     * upgrade that came on an HTTP/1.1 connection, and only to WebSocket
     * ({@link WebSocketUpgrade#accepted}). A refused one fails the attempt as a malformed
     * response (502, or a retry on another target; the connection is closed), so a target can
     * never make the proxy relay a protocol it did not check, h2c included.
     */
    static boolean refused(UpstreamAttempt a, Downstream client, HttpRequest request, HttpResponse res) {
        if (client instanceof ClientHandler && WebSocketUpgrade.requested(request.headers()) && WebSocketUpgrade.accepted(res)) {
            return false;
        }
        a.exchange().onUpstreamMalformed(a, a.channel(), UNEXPECTED_101);
        return true;
    }

    /**
     * The 101 head as the client gets it ({@link WebSocketUpgrade#rewriteResponse}, {@code Via}).
     *
     * @return false: the connection does not close after it
     */
    static boolean rewriteHead(HttpResponse res) {
        WebSocketUpgrade.rewriteResponse(res);
        UpstreamRequest.appendVia(res.headers());
        return false;
    }

    /**
     * Turns the client's connection (whose {@link ClientHandler} is {@code handler}) and the
     * target's connection {@code upstream} into a tunnel. The 101 head was written (not flushed).
     *
     * @param record   the request's record: counted now, logged when the tunnel closes
     * @param attempts holds the target in flight until the tunnel closes
     */
    static void open(ClientHandler handler, Channel upstream, CompiledRoute route, RequestRecord record, Attempts attempts) {
        Channel client = handler.connection();
        Tunnel t = new Tunnel(handler.plane(), client, upstream, route, record, attempts);
        handler.tunnelled();
        record.tunnelled(attempts.count());
        t.plane.tunnelOpened();
        LOG.debug("event=websocket.opened route={} client={} target={}", route.route().id(), client.remoteAddress(),
                upstream.remoteAddress());

        ChannelPipeline cp = client.pipeline();
        remove(cp, ClientIdle.class);
        remove(cp, RequestGate.class);
        remove(cp, HttpResponseEncoder.class);
        cp.replace(handler, "tunnel", t.clientSide);
        ChannelPipeline up = upstream.pipeline();
        up.replace(UpstreamHandler.class, "tunnel", t.upstreamSide);
        // each decoder hands on what it holds beyond the HTTP it decoded: the target's first frames
        // to the client, then the client's (if any came early) to the target
        remove(up, UpstreamCodec.class);
        remove(cp, StrictRequestDecoder.class);

        client.flush();
        t.idleTimer = client.eventLoop().schedule(t::checkIdle, t.idleNanos, TimeUnit.NANOSECONDS);
        t.clientSide.start();
        t.upstreamSide.start();
    }

    private static void remove(ChannelPipeline p, Class<? extends ChannelHandler> type) {
        if (p.get(type) != null) {
            p.remove(type);
        }
    }

    /**
     * The drain's timeout ran out: closes the tunnel on client connection {@code ch} (if it is
     * one), both sides, after flushing what is pending. Call on the connection's event loop.
     *
     * @return true when {@code ch} was a tunnel
     */
    public static boolean closeForDrain(Channel ch) {
        Side side = ch.pipeline().get(Side.class);
        if (side == null) {
            return false;
        }
        side.tunnel().end(TunnelOutcome.DRAIN, true);
        return true;
    }

    /**
     * Ends the tunnel for {@code why} (when nobody did before): both connections are closed, after
     * what is pending for them was flushed when {@code flush}.
     */
    private void end(TunnelOutcome why, boolean flush) {
        if (outcome == null) {
            outcome = why;
        }
        clientSide.close(flush);
        upstreamSide.close(flush);
    }

    /** Re-arms itself for the rest of the timeout while bytes flow; one timer per tunnel, not one per read. */
    private void checkIdle() {
        idleTimer = null;
        if (finished) {
            return;
        }
        long silent = System.nanoTime() - lastReadNanos;
        if (silent < idleNanos) {
            idleTimer = clientSide.channel.eventLoop().schedule(this::checkIdle, idleNanos - silent, TimeUnit.NANOSECONDS);
            return;
        }
        if (outcome == null) {
            IDLE.info("route={} client={} idle_ms={}", route.route().id(), clientSide.channel.remoteAddress(),
                    TimeUnit.NANOSECONDS.toMillis(silent));
        }
        end(TunnelOutcome.IDLE_TIMEOUT, false);
    }

    /** One side's connection closed: the other gets what is pending, then closes; once both are closed the tunnel is over. */
    private void sideClosed(Side side) {
        if (outcome == null) {
            outcome = side.closedFirst;
        }
        if (side.other.open) {
            side.other.close(true);
            return;
        }
        if (finished) {
            return;
        }
        finished = true;
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
        plane.tunnelClosed();
        attempts.ended();
        record.tunnelClosed(outcome, clientSide.bytes, upstreamSide.bytes);
        LOG.debug("event=websocket.closed route={} client={} outcome={} bytes_from_client={} bytes_to_client={}",
                route.route().id(), clientSide.channel.remoteAddress(), outcome.tag, clientSide.bytes, upstreamSide.bytes);
    }

    /** One connection of the tunnel: what is read on it is written to the {@link #other} side's. */
    private final class Side extends ChannelInboundHandlerAdapter {
        private final Channel channel;
        /** The outcome when this side's connection closes before the other's. */
        private final TunnelOutcome closedFirst;
        private Side other;
        private boolean open = true;
        /** Not read because the other side's connection is not writable; read again when it is. */
        private boolean heldBack;
        /** Bytes read on this side (and written to the other). */
        private long bytes;

        Side(Channel channel, TunnelOutcome closedFirst) {
            this.channel = channel;
            this.closedFirst = closedFirst;
        }

        Tunnel tunnel() {
            return Tunnel.this;
        }

        /** After the hand-over: reads, or waits for the other side to be writable; a connection gone meanwhile ends the tunnel. */
        void start() {
            if (!channel.isActive()) {
                if (open) {
                    open = false;
                    sideClosed(this);
                }
                return;
            }
            readIfOtherWritable();
        }

        private void readIfOtherWritable() {
            if (!open || !other.open) {
                return;
            }
            if (other.channel.isWritable()) {
                heldBack = false;
                channel.read();
            } else {
                heldBack = true;
            }
        }

        void close(boolean flush) {
            if (!open) {
                return;
            }
            if (flush) {
                channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            } else {
                channel.close();
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            // the target's codec hands on the 101's empty last content after the bytes it held: not data
            if (!(msg instanceof ByteBuf buf) || !other.open || !buf.isReadable()) {
                ReferenceCountUtil.release(msg);
                return;
            }
            bytes += buf.readableBytes();
            other.channel.write(buf, other.channel.voidPromise());
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            lastReadNanos = System.nanoTime();
            if (other.open) {
                other.channel.flush();
            }
            readIfOtherWritable();
        }

        /** This side's connection takes writes again: the other side, held back, is read again. */
        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (other.heldBack && channel.isWritable()) {
                other.readIfOtherWritable();
            }
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (open) {
                open = false;
                sideClosed(this);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // the class only: a message can quote bytes of the stream
            LOG.debug("event=websocket.failed side={} remote={} cause={}", closedFirst == TunnelOutcome.CLIENT_CLOSED
                    ? "client" : "target", channel.remoteAddress(), cause.getClass().getSimpleName());
            ctx.close();
        }
    }
}
