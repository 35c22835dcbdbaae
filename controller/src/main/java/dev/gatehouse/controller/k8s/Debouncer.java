package dev.gatehouse.controller.k8s;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Coalesces bursts of "something changed" into one run: a run starts {@code holdOff} after the
 * last mark, but never later than {@code maxDelay} after the first unserved mark (the controller
 * uses 50 ms / 250 ms, {@link Controller#HOLD_OFF} and {@link Controller#MAX_DELAY}; Contour uses
 * 100 ms / 500 ms). Runs are serial on one thread; a mark during a run schedules another.
 */
public final class Debouncer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Debouncer.class);
    private final java.util.function.LongConsumer action;
    private final long holdOffNanos;
    private final long maxDelayNanos;
    private final ScheduledExecutorService executor;
    private long firstMark = -1;
    private ScheduledFuture<?> pending;

    /**
     * @param action runs with the {@link System#nanoTime()} of the first mark it serves, so a
     *               caller can measure from the change that caused it
     */
    public Debouncer(String name, Duration holdOff, Duration maxDelay, java.util.function.LongConsumer action) {
        this.action = action;
        this.holdOffNanos = holdOff.toNanos();
        this.maxDelayNanos = maxDelay.toNanos();
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Something changed: run the action soon. Cheap; safe from any thread (informer handlers). */
    public synchronized void mark() {
        if (executor.isShutdown()) {
            return; // closed: late events (a proxy disconnecting during shutdown) are dropped
        }
        long now = System.nanoTime();
        if (firstMark < 0) {
            firstMark = now;
        }
        long due = Math.min(now + holdOffNanos, firstMark + maxDelayNanos);
        if (pending != null) {
            pending.cancel(false);
        }
        pending = executor.schedule(this::fire, Math.max(0, due - now), TimeUnit.NANOSECONDS);
    }

    private void fire() {
        long since;
        synchronized (this) {
            since = firstMark;
            firstMark = -1;
            pending = null;
        }
        try {
            action.accept(since < 0 ? System.nanoTime() : since);
        } catch (RuntimeException e) {
            log.error("event=debounced_run_failed error=\"{}\"", e.toString(), e);
        }
    }

    /** Drops what is pending and lets a run in progress finish (never interrupts an API call mid-flight). */
    @Override
    public void close() {
        synchronized (this) {
            if (pending != null) {
                pending.cancel(false);
            }
            executor.shutdown();
        }
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("event=debouncer.close_timeout name={}", Thread.currentThread().getName());
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.shutdownNow();
        }
    }
}
