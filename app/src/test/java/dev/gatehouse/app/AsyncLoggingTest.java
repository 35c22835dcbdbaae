package dev.gatehouse.app;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Logger;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** The shipped logging ({@link LogSetup}): a logging call never waits on standard error, even a stuck one. */
class AsyncLoggingTest {
    /** A standard error that blocks every write until released, then swallows them (noting a marker). */
    private static final class StuckStream extends OutputStream {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch markerSeen = new CountDownLatch(1);

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            entered.countDown();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (new String(b, off, len, java.nio.charset.StandardCharsets.UTF_8).contains("event=test.drained")) {
                markerSeen.countDown();
            }
        }
    }

    @Test
    void aStuckStandardErrorNeverStallsTheLoggingThreadAndTheOverflowIsDropped() throws Exception {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        assertThat(root.getAppender("ASYNC")).as("the root logger writes through the async appender")
                .isInstanceOfSatisfying(AsyncAppender.class, a -> {
                    assertThat(a.isNeverBlock()).isTrue();
                    assertThat(a.getQueueSize()).isEqualTo(8192);
                    assertThat(a.getDiscardingThreshold()).isEqualTo(1638);
                });
        AsyncAppender async = (AsyncAppender) root.getAppender("ASYNC");
        assertThat(root.getAppender("STDERR")).as("no synchronous appender on the root").isNull();

        PrintStream original = System.err;
        StuckStream stuck = new StuckStream();
        System.setErr(new PrintStream(stuck, true));
        org.slf4j.Logger log = LoggerFactory.getLogger("dev.gatehouse.test.flood");
        try {
            log.warn("event=test.first");
            assertThat(stuck.entered.await(10, TimeUnit.SECONDS)).as("the writer thread is stuck on stderr").isTrue();
            int lines = 50_000;
            AtomicLong millis = new AtomicLong();
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                long start = System.nanoTime();
                for (int i = 0; i < lines; i++) {
                    log.warn("event=test.flood i={}", i);
                }
                millis.set(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            }, "a logging call waited for the stuck stderr");
            assertThat(async.getNumberOfElementsInQueue()).as("queued, the rest dropped").isEqualTo(async.getQueueSize());
            System.out.printf("async logging: %d WARN lines logged in %d ms with stderr stuck; %d queued, the rest dropped%n",
                    lines, millis.get(), async.getNumberOfElementsInQueue());
        } finally {
            // let the writer swallow the backlog before stderr is given back, so it does not flood the test output
            stuck.release.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (async.getNumberOfElementsInQueue() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            log.warn("event=test.drained");
            stuck.markerSeen.await(10, TimeUnit.SECONDS);
            System.setErr(original);
        }
    }
}
