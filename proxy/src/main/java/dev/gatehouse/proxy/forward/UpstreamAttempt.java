package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Service;
import dev.gatehouse.proxy.balance.Peer;
import dev.gatehouse.proxy.http1.ParsedRequest;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * One attempt of an {@link Exchange} on one target: the upstream channel (from the event loop's
 * {@link Connector} for the service's protocol: a pooled or new HTTP/1.1 connection, or a new
 * stream on an HTTP/2 connection), the request head, then the body as the exchange streams it.
 * The channel's {@link UpstreamHandler} reports the response back to the exchange through
 * {@link #exchange()}, as long as this attempt holds it.
 *
 * <p>An attempt that is no longer the exchange's current one (it failed, a retry started, the
 * client went away) ignores every late callback: its connect result is closed, its write
 * results are dropped. Its read and write timeouts run from the head's write to its release, on
 * the channel's {@link Deadlines} (kept by its {@link UpstreamHandler} from one attempt to the next).
 */
final class UpstreamAttempt implements Deadlines.Expiry, ChannelFutureListener {
    private final Exchange exchange;
    private final Peer peer;
    private final Service.Protocol protocol;
    /** The channel's timeouts while this attempt holds it; null before and after. */
    private Deadlines deadlines;
    private Service.Timeouts timeouts;
    private Connector connector;
    private Channel channel;
    private boolean headAcked;
    /** The head written carried the request's end (a bodiless request to an HTTP/1.1 target). */
    private boolean endInHead;
    private boolean released;
    private long sentNanos;
    /** The exchange's reading of the clock when it started this attempt ({@link #start}). */
    private long startedNanos;
    /** True while {@link #start} runs: a channel handed over meanwhile (an idle one from the pool) is sent on at once. */
    private boolean starting;
    /** {@link #writeDone} as a listener, made on the first body write (a bodiless request makes none). */
    private ChannelFutureListener writeListener;

    UpstreamAttempt(Exchange exchange, Peer peer, Service.Protocol protocol) {
        this.exchange = exchange;
        this.peer = peer;
        this.protocol = protocol;
    }

    Exchange exchange() {
        return exchange;
    }

    Peer peer() {
        return peer;
    }

    /** The upstream connection once connected; null before. */
    Channel channel() {
        return channel;
    }

    /** True once the request head was written to the target (a failure after it may have reached it). */
    boolean headAcked() {
        return headAcked;
    }

    /** True when the head written carried the request's end: no end is to follow it. */
    boolean endInHead() {
        return endInHead;
    }

    /** When the request head was written. */
    long sentNanos() {
        return sentNanos;
    }

    /**
     * Asks the loop's connector for the service's protocol for a channel to the target (within the
     * connect timeout). {@code now} is the exchange's reading of {@link System#nanoTime}: when the
     * connector hands over an idle channel at once, the head is sent at that moment, and no other
     * reading is taken for it.
     */
    void start(UpstreamPool pool, Service.Timeouts timeouts, long now) {
        this.timeouts = timeouts;
        this.connector = pool.connector(protocol);
        this.startedNanos = now;
        starting = true;
        try {
            connector.open(this, protocol.tls(), timeouts.connectMillis());
        } finally {
            starting = false;
        }
    }

    /** True once the attempt no longer wants a channel: it was released, or the exchange moved on. */
    boolean abandoned() {
        return released || !exchange.isCurrent(this);
    }

    /** The connector's answer: {@code ch} is this attempt's, or null when none could be had (nothing was sent). */
    void opened(Channel ch, Throwable cause) {
        if (abandoned()) {
            if (ch != null) {
                connector.release(ch, false);
            }
        } else if (ch != null) {
            connected(ch);
        } else {
            exchange.attemptFailed(this, false, cause);
        }
    }

    /**
     * The target said it did not process the request (an HTTP/2 GOAWAY below this stream, or
     * REFUSED_STREAM; RFC 9113 §8.7): the attempt counts as not sent, so the request may go to
     * another target even when it is not idempotent, unless body bytes went out.
     */
    void notProcessed() {
        headAcked = false;
    }

    private void connected(Channel ch) {
        channel = ch;
        deadlines = ch.pipeline().get(UpstreamHandler.class).attach(this);
        HttpRequest head = exchange.headFor(peer, !protocol.http2());
        endInHead = head instanceof LastHttpContent || head instanceof ParsedRequest p && p.endsInHead();
        sentNanos = starting ? startedNanos : System.nanoTime();
        deadlines.start(ch, timeouts, this, sentNanos);
        ch.writeAndFlush(head).addListener(this);
        if (channel == ch && !released) {
            ch.read();
        }
    }

    /**
     * The head's write finished: the body follows, or the attempt failed before anything was sent.
     * The attempt is its own listener (one head per attempt), so the write makes no listener object.
     */
    @Override
    public void operationComplete(ChannelFuture f) {
        if (released || channel != f.channel() || !exchange.isCurrent(this)) {
            return;
        }
        if (!f.isSuccess()) {
            exchange.attemptFailed(this, false, f.cause());
            return;
        }
        headAcked = true;
        exchange.headSent(this);
    }

    /** Reads more of the response. */
    void read() {
        if (channel != null) {
            channel.read();
        }
    }

    /** The client took what came so far: the target is read again, its silence timed afresh. */
    void resume() {
        if (deadlines != null) {
            deadlines.resume();
        }
        read();
    }

    /** The client is not taking the response: the target is not read, and not timed while so. */
    void holdBack() {
        if (deadlines != null) {
            deadlines.holdBack();
        }
    }

    /** True while the response waits for the client to take it, not for the target. */
    boolean heldBack() {
        return deadlines != null && deadlines.heldBack();
    }

    /** Response bytes arrived; returns when ({@link System#nanoTime}), the one reading of the clock for them. */
    long noteRead() {
        return deadlines != null ? deadlines.read() : System.nanoTime();
    }

    /** The listener of this attempt's body writes ({@link #writeDone}), made once. */
    ChannelFutureListener writeListener() {
        ChannelFutureListener l = writeListener;
        if (l == null) {
            l = this::writeDone;
            writeListener = l;
        }
        return l;
    }

    /** Notes write progress of the request body for the write timeout; a failed write closes the connection. */
    void writeDone(ChannelFuture f) {
        if (!f.isSuccess()) {
            f.channel().close();
        } else if (deadlines != null) {
            deadlines.wrote();
        }
    }

    /** The target stopped taking the body as fast as it comes: the write timeout starts. */
    void unwritable() {
        if (deadlines != null) {
            deadlines.unwritable();
        }
    }

    @Override
    public void readTimedOut(long silentMillis) {
        exchange.attemptTimedOut(this, "sent no response bytes", silentMillis);
    }

    @Override
    public void writeTimedOut(long stuckMillis) {
        exchange.attemptTimedOut(this, "took no request bytes", stuckMillis);
    }

    /**
     * Ends the attempt and gives its connection to a {@link Tunnel}: no more timeouts, no more
     * callbacks to the exchange, never back to the pool.
     */
    Channel handOver() {
        released = true;
        if (deadlines != null) {
            deadlines.close();
            deadlines = null;
        }
        Channel ch = channel;
        channel = null;
        ch.pipeline().get(UpstreamHandler.class).detach();
        return ch;
    }

    /** Ends the attempt, its channel handed back to the connector ({@link Connector#release}). */
    void release(boolean reuse, long now) {
        released = true;
        if (deadlines != null) {
            deadlines.stop(); // the read check stays with the connection for its next attempt
            deadlines = null;
        }
        Channel ch = channel;
        channel = null;
        headAcked = false;
        if (ch == null) {
            return;
        }
        connector.release(ch, reuse, now);
    }
}
