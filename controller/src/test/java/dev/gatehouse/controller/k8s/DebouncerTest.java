package dev.gatehouse.controller.k8s;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Debouncer#markSoon()}: an EndpointSlice change on a quiet debouncer runs without the
 * hold-off, and a storm of them is still coalesced. The hold-offs are long (seconds), so a run
 * that waited one would miss the bounded waits here: no timing is asserted beyond that.
 */
class DebouncerTest {
    @Test
    void anUrgentMarkOnAQuietDebouncerRunsWithoutTheHoldOff() throws InterruptedException {
        CountDownLatch ran = new CountDownLatch(1);
        try (Debouncer d = new Debouncer("test-debouncer", Duration.ofSeconds(30), Duration.ofSeconds(60), since -> ran.countDown())) {
            d.markSoon();
            assertThat(ran.await(10, TimeUnit.SECONDS)).as("ran before the 30 s hold-off").isTrue();
            assertThat(d.immediateRuns()).isEqualTo(1);
        }
    }

    @Test
    void anOrdinaryMarkWaitsTheHoldOff() throws InterruptedException {
        CountDownLatch ran = new CountDownLatch(1);
        try (Debouncer d = new Debouncer("test-debouncer", Duration.ofSeconds(30), Duration.ofSeconds(60), since -> ran.countDown())) {
            d.mark();
            d.markSoon(); // something is pending: it waits with it
            assertThat(ran.await(300, TimeUnit.MILLISECONDS)).as("nothing runs before the hold-off").isFalse();
            assertThat(d.immediateRuns()).isZero();
        }
    }

    @Test
    void aStormOfUrgentMarksIsCoalesced() throws InterruptedException {
        AtomicInteger runs = new AtomicInteger();
        CountDownLatch two = new CountDownLatch(2);
        CountDownLatch three = new CountDownLatch(3);
        CountDownLatch firstRunning = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (Debouncer d = new Debouncer("test-debouncer", Duration.ofSeconds(2), Duration.ofSeconds(30), since -> {
            runs.incrementAndGet();
            firstRunning.countDown();
            try {
                release.await(10, TimeUnit.SECONDS); // the first run lasts while the storm comes
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            two.countDown();
            three.countDown();
        })) {
            d.markSoon();
            assertThat(firstRunning.await(10, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 1_000; i++) {
                d.markSoon();
            }
            release.countDown();
            assertThat(two.await(10, TimeUnit.SECONDS)).as("the storm's changes get one run").isTrue();
            d.markSoon(); // within the hold-off after that run: waits as mark() does
            assertThat(three.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(runs.get()).as("1 002 marks: the first at once, the storm in one run, the last in one").isEqualTo(3);
            assertThat(d.immediateRuns()).isEqualTo(1);
        }
    }
}
