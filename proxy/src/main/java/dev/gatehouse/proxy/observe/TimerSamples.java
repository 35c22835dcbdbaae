package dev.gatehouse.proxy.observe;

import io.micrometer.core.instrument.Timer;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.Future;

import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One event loop's request-timer samples, recorded into their {@link Timer}s off the request path.
 *
 * <p>Why: a Micrometer timer keeps a rotating maximum and a rotating histogram, whose rotation
 * branch a request takes only when the timer's window has passed since the last record, that is
 * after an idle spell. Recorded inline, C2 compiles that branch into the response path as an
 * uncommon trap, and the first request after the spell throws the compiled exchange away
 * (docs/decisions.md, "The start-of-load stall" and "Request timers drained off the request path").
 * Here a request stores a timer and a duration into two arrays of its loop (no lock, no atomic, no
 * allocation); {@link #drain()} records them, in a method of its own that the request path never
 * calls: when {@value #DRAIN_AT} samples wait (a task the loop runs after its current turn), once a
 * second ({@link #PERIOD_MILLIS}), and on a scrape ({@link ProxyMetrics#scrape()}), so that what
 * {@code /metrics} serves holds every request answered before it began. A trap the timers take
 * after an idle spell throws away the drain, a few hundred bytes of code.
 *
 * <p>Samples recorded on a thread without a buffer (tests, a thread outside the proxy's loops) go
 * to the timer at once.
 */
final class TimerSamples {
    /**
     * How many samples wait before the loop is asked to drain them. A drain holds up every request
     * of the loop for its length, about 90 ns a sample (two timers with histograms per request):
     * 128 samples are ~12 µs, where 1 024 were ~90 µs about 55 times a second at 28k requests a
     * second, a step in the p99 at 32 connections; the task per drain costs less than that.
     */
    static final int DRAIN_AT = 128;
    /** Room for the samples of a loop turn past {@link #DRAIN_AT} (a busy turn of many connections); reached, the request drains inline. */
    static final int CAPACITY = 4096;
    /** The drain of a quiet loop. */
    static final long PERIOD_MILLIS = 1000;

    private static final FastThreadLocal<TimerSamples> LOOP = new FastThreadLocal<>();

    private final EventExecutor loop;
    private final Timer[] timers = new Timer[CAPACITY];
    private final long[] nanos = new long[CAPACITY];
    private final Runnable drain = this::drain;
    private int size;

    TimerSamples(EventExecutor loop) {
        this.loop = loop;
    }

    /** Makes this the buffer of the calling thread, which must be its loop. */
    void install() {
        LOOP.set(this);
    }

    EventExecutor loop() {
        return loop;
    }

    /** Records {@code durationNanos} into {@code timer}: into this loop's buffer, or at once on any other thread. */
    static void record(Timer timer, long durationNanos) {
        TimerSamples s = LOOP.getIfExists();
        if (s == null) {
            timer.record(durationNanos, TimeUnit.NANOSECONDS);
            return;
        }
        s.add(timer, durationNanos);
    }

    private void add(Timer timer, long durationNanos) {
        int i = size;
        if (i == CAPACITY) { // the drain task has not run for a whole buffer: drain here
            drain();
            i = 0;
        }
        timers[i] = timer;
        nanos[i] = durationNanos;
        size = i + 1;
        if (i + 1 == DRAIN_AT) {
            try {
                loop.execute(drain);
            } catch (RejectedExecutionException e) { // the loop is shutting down
                drain();
            }
        }
    }

    /** Records the waiting samples into their timers. Runs on the loop (or once it has terminated). */
    void drain() {
        int n = size;
        for (int i = 0; i < n; i++) {
            timers[i].record(nanos[i], TimeUnit.NANOSECONDS);
            timers[i] = null;
        }
        size = 0;
    }

    /**
     * Drains on the loop, as its next task: what the loop recorded before the call is in the timers
     * once the future is done. Done at once when called on the loop, or when the loop has
     * terminated (then this thread drains: the loop writes nothing any more).
     */
    Future<?> drainSoon() {
        if (loop.inEventLoop()) {
            drain();
            return loop.newSucceededFuture(null);
        }
        try {
            return loop.submit(drain);
        } catch (RejectedExecutionException e) {
            if (loop.isTerminated()) {
                drain();
            }
            return loop.newSucceededFuture(null);
        }
    }
}
