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
        return pacer(perSecond, perSecond, quiet);
    }

    StatusPacer pacer(int perSecond, int burst, Duration quiet) {
        return new StatusPacer(new ControllerConfig.StatusRate(perSecond, burst, quiet, Duration.ofSeconds(1)), path, nanos::get,
                registry);
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
    void statusHeldBehindForTheBoundLetsABatchThroughThenPausesAgain() {
        StatusPacer p = pacer(10_000, 10, Duration.ofMillis(100));
        assertThat(p.maxDelayNanos()).as("--status-max-delay").isEqualTo(Duration.ofSeconds(1).toNanos());
        busy = true; // a steady stream of changes
        long changed = nanos.get();
        nanos.addAndGet(Duration.ofMillis(300).toNanos()); // the pass starts from a change 300 ms old
        p.behind(changed);
        long waited = 0;
        while (true) {
            long w = p.waitNanos(false);
            if (w == 0) {
                break;
            }
            waited += w;
            nanos.addAndGet(w);
            assertThat(p.inBatch()).isFalse();
        }
        assertThat(waited).as("held the bound behind the change, counted from the change").isEqualTo(Duration.ofMillis(700).toNanos());
        assertThat(p.inBatch()).as("a newer change no longer ends the pass").isTrue();
        p.behind(nanos.get() - Duration.ofSeconds(5).toNanos()); // a pass superseded meanwhile: the batch's time stands
        for (int i = 0; i < p.batch(); i++) {
            assertThat(p.waitNanos(true)).as("write %d of the batch", i + 1).isZero();
        }
        assertThat(p.inBatch()).as("spent").isFalse();
        assertThat(p.waitNanos(true)).as("after the batch: paused again").isEqualTo(StatusPacer.POLL_NANOS);
        assertThat(count("gatehouse.controller.status.pause_overruns")).isEqualTo(1);
        assertThat(count("gatehouse.controller.status.paused")).isEqualTo(2);
        waited = 0;
        long w;
        while ((w = p.waitNanos(true)) != 0) {
            waited += w;
            nanos.addAndGet(w);
        }
        assertThat(waited).as("the next batch a bound after the last one").isEqualTo(Duration.ofSeconds(1).toNanos());
        assertThat(count("gatehouse.controller.status.pause_overruns")).isEqualTo(2);
    }

    @Test
    void withNothingBehindAPauseLastsAsLongAsThePublishPathIsBusy() {
        StatusPacer p = pacer(10_000, Duration.ofMillis(100));
        busy = true;
        for (int i = 0; i < 1_000; i++) {
            long w = p.waitNanos(true);
            assertThat(w).as("no change to show: nothing is let through").isEqualTo(StatusPacer.POLL_NANOS);
            nanos.addAndGet(w);
        }
        assertThat(count("gatehouse.controller.status.pause_overruns")).isZero();
    }

    /** A batch not used up (the pass had less to write) does not let later writes skip a later pause. */
    @Test
    void anUnusedBatchLapsesWhenItsPassCompletes() {
        StatusPacer p = pacer(10_000, Duration.ofMillis(100));
        busy = true;
        p.behind(nanos.get());
        long w;
        while ((w = p.waitNanos(true)) != 0) {
            nanos.addAndGet(w);
        }
        assertThat(p.waitNanos(true)).as("a second write of the batch").isZero();
        p.caughtUp(); // the pass ended with the rest of the batch unused
        assertThat(p.inBatch()).isFalse();
        assertThat(p.waitNanos(true)).as("still busy: paused, not let through").isEqualTo(StatusPacer.POLL_NANOS);
        assertThat(count("gatehouse.controller.status.paused")).isEqualTo(2);
    }

    @Test
    void anUnusedBatchLapsesAfterTheBound() {
        StatusPacer p = pacer(10_000, Duration.ofMillis(100));
        busy = true;
        p.behind(nanos.get());
        long w;
        while ((w = p.waitNanos(true)) != 0) {
            nanos.addAndGet(w);
        }
        nanos.addAndGet(p.maxDelayNanos());
        assertThat(p.inBatch()).isFalse();
        assertThat(p.waitNanos(true)).as("much later: a new batch (still behind), not the old one's writes").isZero();
        assertThat(count("gatehouse.controller.status.pause_overruns")).isEqualTo(2);
    }

    @Test
    void theQuietIsAKnobWithBounds() {
        assertThat(ControllerConfig.StatusRate.DEFAULT.quietAfterPublish()).isEqualTo(Duration.ofMillis(100));
        assertThat(ControllerConfig.StatusRate.of(50).quietAfterPublish()).isEqualTo(Duration.ofMillis(100));
        assertThat(ControllerConfig.StatusRate.of(50).withQuietAfterPublish(Duration.ZERO).quietAfterPublish()).isZero();
        assertThatThrownBy(() -> ControllerConfig.StatusRate.of(50).withQuietAfterPublish(Duration.ofSeconds(11)))
                .hasMessage("--status-quiet-after-publish: 11000ms (expected: 0ms..10s)");
    }

    @Test
    void theBoundIsAKnobWithBounds() {
        assertThat(ControllerConfig.StatusRate.DEFAULT.maxDelay()).isEqualTo(Duration.ofSeconds(3));
        assertThat(ControllerConfig.StatusRate.of(50).withQuietAfterPublish(Duration.ZERO).maxDelay()).isEqualTo(Duration.ofSeconds(3));
        assertThat(ControllerConfig.StatusRate.of(50).withMaxDelay(Duration.ofSeconds(20)).withQuietAfterPublish(Duration.ZERO)
                .maxDelay()).as("kept by the other withers").isEqualTo(Duration.ofSeconds(20));
        assertThatThrownBy(() -> ControllerConfig.StatusRate.of(50).withMaxDelay(Duration.ofMillis(99)))
                .hasMessage("--status-max-delay: 99ms (expected: 100ms..10m)");
        assertThatThrownBy(() -> ControllerConfig.StatusRate.of(50).withMaxDelay(Duration.ofMinutes(11)))
                .hasMessage("--status-max-delay: 660000ms (expected: 100ms..10m)");
    }
}
