package dev.gatehouse.controller.k8s;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The status writer's turns, on a clock the test drives and a publish path it sets: no write while
 * a publish is pending or running, none within the quiet after it, the budget as before, and a
 * pause that outlasts its bound lets a bounded batch through.
 */
class StatusPacerTest {
    final AtomicLong nanos = new AtomicLong(5_000_000_000L);
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** -1: busy; otherwise when the last run ended. */
    volatile long lastRunEnd = 0;
    volatile boolean busy;
    final StatusPacer.PublishPath path = quiet -> busy ? -1 : Math.max(0, lastRunEnd + quiet - nanos.get());

    StatusPacer pacer(int perSecond, Duration quiet) {
        return new StatusPacer(new ControllerConfig.StatusRate(perSecond, perSecond, quiet), path, nanos::get, registry);
    }

    double count(String name) {
        return registry.get(name).counter().count();
    }

    @Test
    void noWriteWhileAPublishIsPendingOrRunningNorWithinTheQuietAfterIt() {
        StatusPacer p = pacer(1000, Duration.ofMillis(100));
        assertThat(p.waitNanos(true)).as("quiet for long: a write goes").isZero();
        busy = true;
        assertThat(p.waitNanos(true)).as("busy: looked at again after the poll").isEqualTo(StatusPacer.POLL_NANOS);
        assertThat(p.waitNanos(false)).as("planning waits too").isEqualTo(StatusPacer.POLL_NANOS);
        nanos.addAndGet(Duration.ofMillis(30).toNanos());
        busy = false;
        lastRunEnd = nanos.get();
        assertThat(p.waitNanos(true)).as("the run just ended: the whole quiet").isEqualTo(Duration.ofMillis(100).toNanos());
        nanos.addAndGet(Duration.ofMillis(60).toNanos());
        assertThat(p.waitNanos(true)).as("what is left of it").isEqualTo(Duration.ofMillis(40).toNanos());
        nanos.addAndGet(Duration.ofMillis(40).toNanos());
        assertThat(p.waitNanos(true)).isZero();
        assertThat(count("gatehouse.controller.status.paused")).as("one pause, however many looks").isEqualTo(1);
        assertThat(count("gatehouse.controller.status.pause_overruns")).isZero();
    }

    @Test
    void theBudgetStillHoldsWhenThePublishPathIsQuiet() {
        StatusPacer p = pacer(10, Duration.ZERO);
        for (int i = 0; i < 10; i++) {
            assertThat(p.waitNanos(true)).as("the burst").isZero();
        }
        assertThat(p.waitNanos(true)).as("then one write per 100 ms").isEqualTo(Duration.ofMillis(100).toNanos());
        assertThat(p.waitNanos(false)).as("planning takes no budget").isZero();
        assertThat(count("gatehouse.controller.status.paused")).isZero();
    }

    @Test
    void aPauseLongerThanItsBoundLetsABatchThroughThenPausesAgain() {
        StatusPacer p = pacer(10_000, Duration.ofMillis(100));
        assertThat(p.maxPauseNanos()).as("10 x the quiet, at least 1 s").isEqualTo(Duration.ofSeconds(1).toNanos());
        busy = true; // a steady stream of changes
        long waited = 0;
        while (true) {
            long w = p.waitNanos(true);
            if (w == 0) {
                break;
            }
            waited += w;
            nanos.addAndGet(w);
            assertThat(waited).as("bounded").isLessThanOrEqualTo(p.maxPauseNanos());
        }
        assertThat(waited).isEqualTo(p.maxPauseNanos());
        for (int i = 1; i < StatusPacer.OVERRUN_BATCH; i++) {
            assertThat(p.waitNanos(true)).as("write %d of the batch", i + 1).isZero();
        }
        assertThat(p.waitNanos(true)).as("after the batch: paused again").isEqualTo(StatusPacer.POLL_NANOS);
        assertThat(count("gatehouse.controller.status.pause_overruns")).isEqualTo(1);
        assertThat(count("gatehouse.controller.status.paused")).isEqualTo(2);
    }

    /** A batch not used up (the pass had less to write) does not let later writes skip a later pause. */
    @Test
    void anUnusedBatchLapsesWithinAPausesBound() {
        StatusPacer p = pacer(10_000, Duration.ofMillis(100));
        busy = true;
        long w;
        while ((w = p.waitNanos(true)) != 0) {
            nanos.addAndGet(w);
        }
        assertThat(p.waitNanos(true)).as("a second write of the batch").isZero();
        nanos.addAndGet(2 * p.maxPauseNanos()); // the pass ended with eight writes of the batch unused
        assertThat(p.waitNanos(true)).as("still busy, much later: paused, not let through").isEqualTo(StatusPacer.POLL_NANOS);
        assertThat(count("gatehouse.controller.status.paused")).isEqualTo(2);
    }

    @Test
    void theQuietIsAKnobWithBounds() {
        assertThat(ControllerConfig.StatusRate.DEFAULT.quietAfterPublish()).isEqualTo(Duration.ofMillis(100));
        assertThat(ControllerConfig.StatusRate.of(50).quietAfterPublish()).isEqualTo(Duration.ofMillis(100));
        assertThat(ControllerConfig.StatusRate.of(50).withQuietAfterPublish(Duration.ZERO).quietAfterPublish()).isZero();
        assertThatThrownBy(() -> ControllerConfig.StatusRate.of(50).withQuietAfterPublish(Duration.ofSeconds(11)))
                .hasMessage("--status-quiet-after-publish: 11000ms (expected: 0ms..10s)");
        StatusPacer p = pacer(1000, Duration.ofSeconds(2));
        assertThat(p.maxPauseNanos()).as("10 x a long quiet").isEqualTo(Duration.ofSeconds(20).toNanos());
    }
}
