package dev.gatehouse.proxy.forward;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * The client idle timeout of a client connection ({@code --client-idle-timeout}): when the
 * connection saw no activity for the timeout it fires {@link IdleStateEvent#ALL_IDLE_STATE_EVENT}
 * down the pipeline, where the connection's protocol handler decides (the HTTP/1.1
 * {@link ClientHandler}, the HTTP/2 connection, the preface sniffer); the check repeats every
 * timeout while the connection stays open and silent.
 *
 * <p>Activity is a read batch, a flush (what the proxy wrote goes out), a change of writability
 * (the client took bytes, or stopped taking them) and, seen when the timer fires, a change of the
 * bytes waiting in the connection's outbound buffer since the last check (the client is taking them
 * slowly). Netty's {@code IdleStateHandler}
 * counted a write when it completed, so it listened to every write's promise and turned a void
 * promise into a new one: a promise and a listener per response write. Counting the flush keeps
 * the rule for the cases the timeout is for: a client that stops reading its response stops the
 * writes (the exchange holds the target back while the connection is not writable, and nothing is
 * flushed), so it is idle one timeout after the last flush; a client that reads slowly but steadily
 * turns the connection writable again, and the relay's next read of the target flushes.
 *
 * <p>One timer per connection, moved only when it fires (activity only records the time), as
 * {@link Http2StreamIdle} does for a stream. All on the connection's event loop.
 */
public final class ClientIdle extends ChannelDuplexHandler implements Runnable {
    private final long timeoutNanos;
    private ChannelHandlerContext ctx;
    private long lastActivity;
    /** A read batch is under way: its end records the time; a check meanwhile sees activity. */
    private boolean reading;
    private ScheduledFuture<?> timer;
    /**
     * The bytes waiting in the connection's outbound buffer after the last flush or check: a change
     * seen by the next check is the client taking bytes.
     */
    private long pendingAtCheck;
    /** A closing TLS response's flush is held until the close's own flush takes it along ({@link #hold}). */
    private boolean holding;
    /** 0 before the timer started, 1 while it runs, 2 once stopped (it never starts again). */
    private int state;

    public ClientIdle(long timeoutNanos) {
        if (timeoutNanos <= 0) {
            throw new IllegalArgumentException("timeoutNanos: " + timeoutNanos + " (expected: > 0)");
        }
        this.timeoutNanos = timeoutNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive() && ctx.channel().isRegistered()) {
            start();
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    @Override
    public void channelRegistered(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().isActive()) {
            start();
        }
        super.channelRegistered(ctx);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        start();
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stop();
        super.channelInactive(ctx);
    }

    private void start() {
        if (state != 0) {
            return;
        }
        state = 1;
        lastActivity = System.nanoTime();
        timer = ctx.executor().schedule(this, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    private void stop() {
        state = 2;
        ScheduledFuture<?> t = timer;
        timer = null;
        if (t != null) {
            t.cancel(false);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        reading = true;
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (reading) {
            lastActivity = System.nanoTime();
            reading = false;
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        lastActivity = System.nanoTime();
        ctx.fireChannelWritabilityChanged();
    }

    /**
     * The next flushes stop here, until {@link #release}: what they flushed leaves with the flush
     * after it. This handler is first in a client's pipeline, so below the TLS handler: a TLS
     * connection that closes after its response gives the socket the response's last records and the
     * {@code close_notify} alert in one write ({@link ClientHandler}), where it took two (two
     * {@code sendto} on epoll; on io_uring two sends, one ring round trip after the other, as the
     * transport keeps one write in flight per channel). docs/decisions.md, "A new TLS connection on
     * io_uring".
     */
    void hold() {
        holding = true;
    }

    void release() {
        holding = false;
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        lastActivity = System.nanoTime();
        if (holding) {
            return;
        }
        ctx.flush();
        pendingAtCheck = pending(); // what this flush could not send yet is not the client's progress
    }

    private long pending() {
        ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    @Override
    public void run() {
        if (state != 1 || !ctx.channel().isOpen()) {
            return; // stopped while this run was already queued
        }
        long now = System.nanoTime();
        long pending = pending();
        if (pending != pendingAtCheck) {
            pendingAtCheck = pending;
            lastActivity = now; // what waited to go out moved: the client is taking the response
        }
        long silent = reading ? 0 : now - lastActivity;
        if (silent < timeoutNanos) {
            timer = ctx.executor().schedule(this, timeoutNanos - silent, TimeUnit.NANOSECONDS);
            return;
        }
        timer = ctx.executor().schedule(this, timeoutNanos, TimeUnit.NANOSECONDS);
        ctx.fireUserEventTriggered(IdleStateEvent.ALL_IDLE_STATE_EVENT);
    }
}
