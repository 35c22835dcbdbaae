package dev.gatehouse.controller.k8s;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What the status writer reads of the rebuild's debouncer: busy while a run is pending or in progress, then the quiet left. */
class DebouncerQuietTest {
    @Test
    void busyWhilePendingOrRunningThenTheQuietCountsFromTheRunsEnd() throws Exception {
        long quiet = TimeUnit.SECONDS.toNanos(30); // far longer than the test: what is left is never 0 here
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        try (Debouncer d = new Debouncer("test-quiet", Duration.ofMillis(50), Duration.ofMillis(250), since -> {
            running.countDown();
            try {
                finish.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })) {
            assertThat(d.quietIn(0)).as("nothing ran yet, no quiet asked").isZero();
            d.mark();
            assertThat(d.quietIn(quiet)).as("a run pending").isEqualTo(-1);
            assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(d.quietIn(quiet)).as("a run in progress").isEqualTo(-1);
            long beforeEnd = System.nanoTime();
            finish.countDown();
            long left = -1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (left == -1 && System.nanoTime() < deadline) {
                left = d.quietIn(quiet);
                Thread.onSpinWait();
            }
            assertThat(left).as("the quiet after the run").isPositive().isLessThanOrEqualTo(quiet);
            assertThat(System.nanoTime() - beforeEnd + left).as("counted from the run's end").isGreaterThanOrEqualTo(quiet);
            assertThat(d.quietIn(0)).as("no quiet asked: idle").isZero();
        }
    }
}
