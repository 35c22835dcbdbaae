package dev.gatehouse.controller.k8s;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import static java.util.Objects.requireNonNull;

/**
 * When the status updater may plan its pass or make its next write: never while a translation or
 * a publish is pending or running, nor for {@code quiet} ({@code --status-quiet-after-publish},
 * default 100 ms) after one ran, and at most {@code --status-writes-per-second} writes a second
 * ({@link WriteBudget}). A route edit then never shares the controller's cores with status writes:
 * at full size the slow edits were those that met the start's pass (docs/scale.md).
 *
 * <p>Thread priorities cannot do this: the JVM ignores them on Linux unless started with
 * {@code -XX:ThreadPriorityPolicy}, and even then they order runnable threads, not the proxies'
 * processes on the same cores. The pause is asked before every write, so a pass between two
 * publishes is a batch bounded by the time between them; a write already sent is never held.
 *
 * <p>No starvation: status is held at most {@code --status-max-delay} (default 3 s) behind a
 * change. The updater says when the oldest change it has not written arrived ({@link #behind});
 * once that is the bound ago and the publish path is still busy, a batch of up to {@code burst}
 * writes goes through without pausing, and the pass it belongs to is no longer ended by newer
 * changes until the batch is spent ({@link #inBatch()}). A steady stream of changes (a rollout
 * publishes every few tens of milliseconds for minutes) keeps the publish path busy throughout,
 * and at full size a pass takes longer to plan than the time between two publishes, so without
 * the bound no status would be written until the stream stops. Counted
 * ({@code gatehouse_controller_status_pause_overruns_total}) and logged
 * ({@code event=status.pause_overrun} at INFO, at most once a minute: an expected state during a
 * rollout, not a fault). The next batch comes no sooner
 * than the bound after this one, unless a pass completes in between ({@link #caughtUp()}).
 *
 * <p>The updater's thread only (not thread-safe); the clock is a {@link System#nanoTime()}-like
 * source so tests drive it.
 */
final class StatusPacer {
    private static final Logger log = LoggerFactory.getLogger(StatusPacer.class);
    /** While the publish path is busy, how often it is looked at again (it has no listener; a look is one lock). */
    static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    private static final long LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

    /** The publish path as the status updater sees it. */
    @FunctionalInterface
    interface PublishPath {
        /**
         * -1 while a translation or publish is pending or running; otherwise the nanoseconds until
         * it has been idle for {@code quietNanos} (0: it has).
         */
        long quietIn(long quietNanos);

        /** Never busy: for tests of the updater alone. */
        PublishPath IDLE = quietNanos -> 0;
    }

    private final WriteBudget budget;
    private final PublishPath path;
    private final long quietNanos;
    private final long maxDelayNanos;
    private final int batch;
    private final LongSupplier nanoTime;
    private final Counter pauses;
    private final Counter overruns;
    private final Timer rateLimited;
    private boolean paused;
    /** When the oldest change not yet written arrived, or when the last batch was let through; -1: caught up. */
    private long behindSince = -1;
    private int overrunLeft;
    /** When the writes {@link #overrunLeft} lets through lapse: a batch is for the pause that earned it. */
    private long overrunUntil;
    private long lastOverrunLog = Long.MIN_VALUE;

    StatusPacer(ControllerConfig.StatusRate rate, PublishPath path, LongSupplier nanoTime, MeterRegistry registry) {
        this.nanoTime = requireNonNull(nanoTime, "nanoTime");
        this.path = requireNonNull(path, "path");
        this.budget = new WriteBudget(rate.perSecond(), rate.burst(), nanoTime);
        this.quietNanos = rate.quietAfterPublish().toNanos();
        this.maxDelayNanos = rate.maxDelay().toNanos();
        this.batch = rate.burst();
        this.pauses = Counter.builder("gatehouse.controller.status.paused")
                .description("Pauses of the status writer while a translation or publish was pending or running, or "
                        + "within --status-quiet-after-publish of one").register(registry);
        this.overruns = Counter.builder("gatehouse.controller.status.pause_overruns")
                .description("Batches of status writes let through while the publish path was still busy, status having "
                        + "been held --status-max-delay behind a change (a steady stream of changes)").register(registry);
        this.rateLimited = Timer.builder("gatehouse.controller.status.rate_limited")
                .description("Waits of the status writer for its budget (--status-writes-per-second)").register(registry);
    }

    long maxDelayNanos() {
        return maxDelayNanos;
    }

    /** Writes in a batch let through when status is held {@link #maxDelayNanos()} behind: the budget's burst. */
    int batch() {
        return batch;
    }

    /**
     * A pass starts from a state whose oldest unwritten change arrived at {@code since} (a
     * {@link System#nanoTime()}-like value); ignored while an earlier one is still unwritten.
     */
    void behind(long since) {
        if (behindSince < 0) {
            behindSince = since;
        }
    }

    /** A pass completed: every status shows the state it planned from. An unused batch lapses. */
    void caughtUp() {
        behindSince = -1;
        overrunLeft = 0;
    }

    /** True while a batch let through by the bound has writes left: its pass is not ended by a newer change. */
    boolean inBatch() {
        return overrunLeft > 0 && nanoTime.getAsLong() - overrunUntil < 0;
    }

    /**
     * Nanoseconds to wait before going on; 0: go now. With {@code write}, a 0 has taken one write
     * from the budget; without (planning a pass), the budget is left alone.
     */
    long waitNanos(boolean write) {
        long now = nanoTime.getAsLong();
        if (overrunLeft > 0 && now - overrunUntil >= 0) {
            overrunLeft = 0; // not used within a pause's bound (a pass with less to write): the next pause starts afresh
        }
        if (overrunLeft == 0) {
            long quiet = path.quietIn(quietNanos);
            if (quiet != 0) {
                if (!paused) {
                    paused = true;
                    pauses.increment();
                }
                long held = behindSince < 0 ? -1 : now - behindSince;
                if (held < maxDelayNanos) {
                    long wait = quiet < 0 ? POLL_NANOS : quiet;
                    return Math.max(1, held < 0 ? wait : Math.min(wait, maxDelayNanos - held));
                }
                overrunLeft = batch;
                overrunUntil = now + maxDelayNanos;
                behindSince = now; // the batch writes the state of now; the next one no sooner than a bound later
                overruns.increment();
                if (lastOverrunLog == Long.MIN_VALUE || now - lastOverrunLog >= LOG_EVERY_NANOS) {
                    lastOverrunLog = now;
                    // an expected state during a rollout, not a fault: INFO, the counter keeps the tally
                    log.info("event=status.pause_overrun held_ms={} batch={} overruns={} cause=\"the publish path was busy "
                                    + "throughout\" note=\"expected during a stream of changes; --status-max-delay bounds how "
                                    + "far behind status is held\"",
                            held / 1_000_000, batch, (long) overruns.count());
                }
            }
            paused = false;
        }
        if (!write) {
            return 0;
        }
        long wait = budget.waitNanos();
        if (wait > 0) {
            rateLimited.record(wait, TimeUnit.NANOSECONDS);
            return wait;
        }
        budget.take();
        if (overrunLeft > 0) {
            overrunLeft--;
        }
        return 0;
    }
}
