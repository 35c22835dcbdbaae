package dev.gatehouse.proxy.forward;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;

import java.util.concurrent.TimeUnit;

/**
 * The client idle timeout of one HTTP/2 stream (the connection's {@code idleTimeout}), kept by the
 * stream's own handlers rather than by an {@code IdleStateHandler} in its pipeline: one handler,
 * one context and one write listener fewer per stream and per response frame, for the same rule.
 * The stream's reads ({@link Http2ServerStream}) and the response's writes
 * ({@link Http2ResponseWrites}) count as activity; when neither happened for the timeout,
 * {@link Http2ServerStream#idle()} decides (it resets a stream whose client stalls its request
 * body or does not take its response), and the check repeats every timeout while the stream
 * stays open and silent.
 *
 * <p>One timer per stream, armed when the stream opens and moved only when it fires (activity just
 * records the time): a stream that ends within the timeout, the usual one, costs one schedule and
 * one cancel. All on the stream's event loop.
 */
final class Http2StreamIdle implements Runnable {
    private final long timeoutNanos;
    private Http2ServerStream stream;
    private EventExecutor loop;
    private long lastActivity;
    private ScheduledFuture<?> timer;

    Http2StreamIdle(long timeoutNanos) {
        this.timeoutNanos = timeoutNanos;
    }

    /** The stream opened on {@code loop}: the timeout counts from now. */
    void start(Http2ServerStream stream, EventExecutor loop) {
        this.stream = stream;
        this.loop = loop;
        lastActivity = System.nanoTime();
        timer = loop.schedule(this, timeoutNanos, TimeUnit.NANOSECONDS);
    }

    /** A read or a write on the stream. */
    void activity() {
        lastActivity = System.nanoTime();
    }

    /** The stream closed: no more checks. */
    void stop() {
        ScheduledFuture<?> t = timer;
        timer = null;
        if (t != null) {
            t.cancel(false);
        }
    }

    @Override
    public void run() {
        if (timer == null) {
            return; // stopped while this run was already queued
        }
        long silent = System.nanoTime() - lastActivity;
        if (silent < timeoutNanos) {
            timer = loop.schedule(this, timeoutNanos - silent, TimeUnit.NANOSECONDS);
            return;
        }
        timer = loop.schedule(this, timeoutNanos, TimeUnit.NANOSECONDS);
        stream.idle();
    }
}
