package dev.gatehouse.controller.k8s;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the status writer reads of the endpoint path: busy while a rollout's changes wait or are
 * being published, then the quiet left counted from the end of the last run, as for the rebuild.
 */
class EndpointPathQuietTest {
    @Test
    void busyWhileARunIsUnderWayThenTheQuietCountsFromItsEnd() throws Exception {
        long quiet = TimeUnit.SECONDS.toNanos(30); // far longer than the test: what is left is never 0 here
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        try (Debouncer rebuild = new Debouncer("test-fallback", Duration.ofMillis(50), Duration.ofMillis(250), since -> { });
             EndpointPath path = new EndpointPath((services, nanos) -> {
                 running.countDown();
                 try {
                     finish.await(10, TimeUnit.SECONDS);
                 } catch (InterruptedException e) {
                     Thread.currentThread().interrupt();
                 }
                 return null;
             }, rebuild, new SimpleMeterRegistry())) {
            assertThat(path.quietIn(0)).as("nothing ran yet, no quiet asked").isZero();
            path.changed("default/web", true);
            assertThat(path.quietIn(quiet)).as("a change waiting or in its run").isEqualTo(-1);
            assertThat(running.await(10, TimeUnit.SECONDS)).isTrue();
            assertThat(path.quietIn(quiet)).as("a run in progress").isEqualTo(-1);
            long beforeEnd = System.nanoTime();
            finish.countDown();
            long left = -1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (left == -1 && System.nanoTime() < deadline) {
                left = path.quietIn(quiet);
                Thread.onSpinWait();
            }
            assertThat(left).as("the quiet after the run").isPositive().isLessThanOrEqualTo(quiet);
            assertThat(System.nanoTime() - beforeEnd + left).as("counted from the run's end").isGreaterThanOrEqualTo(quiet);
            assertThat(path.quietIn(0)).as("no quiet asked: idle").isZero();
            assertThat(rebuild.quietIn(0)).as("a served batch marks no rebuild").isZero();
        }
    }
}
