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
 *
 * <p>{@link #markSoon()} is for the change that is most frequent and most urgent, one
 * EndpointSlice, when the {@link EndpointPath} cannot serve it alone (an Ingress reads its
 * Service, an Upstream changed, no rebuild yet): when the debouncer is quiet (nothing pending, no run in progress, and the last
 * run ended at least {@code holdOff} ago) it runs at once instead of waiting the hold-off. When
 * this was written, the hold-off was 50 ms of a 177 ms median from an endpoint write to its publish
 * at full size, and the rebuild after one EndpointSlice change cost 57 ms of CPU median (30–134 ms
 * over 50, on a loaded machine; {@code RebuildScaleTest}): the hold-off was close to half of the
 * controller's part. (Most slice changes now take the {@link EndpointPath} and never reach the
 * debouncer; docs/scale.md has today's figures.) A storm still coalesces: the first change of a rollout runs at
 * once, and every change that comes while a run is pending, in progress, or less than
 * {@code holdOff} after one waits as {@link #mark()} does; so a rollout's burst is one immediate
 * run, then the runs {@link #mark()} makes: one after each pause of {@code holdOff}, and at least
 * one per {@code maxDelay} while the burst lasts (DebouncerTest: 1 002 marks, 3 runs).
 * The hold-off stays for every other change: an edit of many objects ({@code kubectl apply -f} of
 * a directory) arrives as a burst of events milliseconds apart, and its first event alone would
 * be a snapshot no one asked for.
 */
public final class Debouncer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Debouncer.class);
    private final java.util.function.LongConsumer action;
    private final long holdOffNanos;
    private final long maxDelayNanos;
    private final ScheduledExecutorService executor;
    private long firstMark = -1;
    private ScheduledFuture<?> pending;
    /** A run is in progress. */
    private boolean running;
    /** {@link System#nanoTime()} when the last run ended; quiet since long before at start. */
    private long lastRunEnd;
    private long immediateRuns;
    /** The pending run was scheduled by {@link #markSoon()}, at once. */
    private boolean pendingImmediate;

    /**
     * @param action runs with the {@link System#nanoTime()} of the first mark it serves, so a
     *               caller can measure from the change that caused it
     */
    public Debouncer(String name, Duration holdOff, Duration maxDelay, java.util.function.LongConsumer action) {
        this.action = action;
        this.holdOffNanos = holdOff.toNanos();
        this.maxDelayNanos = maxDelay.toNanos();
        if (holdOffNanos < 0 || maxDelayNanos < holdOffNanos) {
            throw new IllegalArgumentException("holdOff: " + holdOff + ", maxDelay: " + maxDelay
                    + " (expected: 0 <= holdOff <= maxDelay)");
        }
        this.lastRunEnd = System.nanoTime() - holdOffNanos;
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
        if (pending != null && pendingImmediate) {
            return; // a run starts at once and reads this change too
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

    /**
     * Something urgent changed (an EndpointSlice): run at once when the debouncer is quiet, else as
     * {@link #mark()}. Cheap; safe from any thread.
     */
    public synchronized void markSoon() {
        if (executor.isShutdown()) {
            return;
        }
        long now = System.nanoTime();
        if (pending != null || running || now - lastRunEnd < holdOffNanos) {
            mark();
            return;
        }
        firstMark = now;
        immediateRuns++;
        pendingImmediate = true;
        pending = executor.schedule(this::fire, 0, TimeUnit.NANOSECONDS);
    }

    /**
     * For work that should keep off this debouncer's runs (the status writer): -1 while a run is
     * pending or in progress; otherwise the nanoseconds until the last run ended {@code quietNanos}
     * ago (0: it has). Cheap; safe from any thread.
     */
    public synchronized long quietIn(long quietNanos) {
        if (pending != null || running) {
            return -1;
        }
        return Math.max(0, lastRunEnd + quietNanos - System.nanoTime());
    }

    /** Runs started by {@link #markSoon()} without a hold-off. */
    public synchronized long immediateRuns() {
        return immediateRuns;
    }

    private void fire() {
        long since;
        synchronized (this) {
            since = firstMark;
            firstMark = -1;
            pending = null;
            pendingImmediate = false;
            running = true;
        }
        try {
            action.accept(since < 0 ? System.nanoTime() : since);
        } catch (RuntimeException e) {
            log.error("event=debounced_run_failed error=\"{}\"", e.toString(), e);
        } finally {
            synchronized (this) {
                running = false;
                lastRunEnd = System.nanoTime();
            }
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
