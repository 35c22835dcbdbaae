package dev.gatehouse.controller.k8s;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
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
 * <p>No starvation: a pause longer than {@link #maxPauseNanos()} (10 × quiet, at least 1 s: a
 * steady stream of changes keeps the publish path busy) lets a batch of {@value #OVERRUN_BATCH}
 * writes through, counted ({@code gatehouse_controller_status_pause_overruns_total}) and logged
 * ({@code event=status.pause_overrun}, at most once a minute), then pauses again.
 *
 * <p>The updater's thread only (not thread-safe); the clock is a {@link System#nanoTime()}-like
 * source so tests drive it.
 */
final class StatusPacer {
    private static final Logger log = LoggerFactory.getLogger(StatusPacer.class);
    /** While the publish path is busy, how often it is looked at again (it has no listener; a look is one lock). */
    static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** Writes let through when a pause outlasts {@link #maxPauseNanos()}. */
    static final int OVERRUN_BATCH = 10;
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
    private final long maxPauseNanos;
    private final LongSupplier nanoTime;
    private final Counter pauses;
    private final Counter overruns;
    private final Timer rateLimited;
    private long pausedSince = -1;
    private int overrunLeft;
    /** When the writes {@link #overrunLeft} lets through lapse: a batch is for the pause that earned it. */
    private long overrunUntil;
    private long lastOverrunLog = Long.MIN_VALUE;

    StatusPacer(ControllerConfig.StatusRate rate, PublishPath path, LongSupplier nanoTime, MeterRegistry registry) {
        this.nanoTime = requireNonNull(nanoTime, "nanoTime");
        this.path = requireNonNull(path, "path");
        this.budget = new WriteBudget(rate.perSecond(), rate.burst(), nanoTime);
        this.quietNanos = rate.quietAfterPublish().toNanos();
        this.maxPauseNanos = Math.max(Duration.ofSeconds(1).toNanos(), 10 * quietNanos);
        this.pauses = Counter.builder("gatehouse.controller.status.paused")
                .description("Pauses of the status writer while a translation or publish was pending or running, or "
                        + "within --status-quiet-after-publish of one").register(registry);
        this.overruns = Counter.builder("gatehouse.controller.status.pause_overruns")
                .description("Pauses of the status writer that outlasted their bound and let a batch of writes through "
                        + "(a steady stream of changes)").register(registry);
        this.rateLimited = Timer.builder("gatehouse.controller.status.rate_limited")
                .description("Waits of the status writer for its budget (--status-writes-per-second)").register(registry);
    }

    long maxPauseNanos() {
        return maxPauseNanos;
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
                if (pausedSince < 0) {
                    pausedSince = now;
                    pauses.increment();
                }
                long paused = now - pausedSince;
                if (paused < maxPauseNanos) {
                    long left = maxPauseNanos - paused;
                    return Math.max(1, Math.min(quiet < 0 ? POLL_NANOS : quiet, left));
                }
                overrunLeft = OVERRUN_BATCH;
                overrunUntil = now + maxPauseNanos;
                overruns.increment();
                if (lastOverrunLog == Long.MIN_VALUE || now - lastOverrunLog >= LOG_EVERY_NANOS) {
                    lastOverrunLog = now;
                    log.warn("event=status.pause_overrun paused_ms={} batch={} overruns={} cause=\"the publish path was busy "
                                    + "throughout\" fix=\"none needed; a lower --status-quiet-after-publish shortens pauses\"",
                            paused / 1_000_000, OVERRUN_BATCH, (long) overruns.count());
                }
            }
            pausedSince = -1;
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
