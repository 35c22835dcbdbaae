package dev.gatehouse.proxy.observe;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class AccessLogQueueTest {
    /** A writer that blocks on its first write until released. */
    private static final class StuckWriter extends Writer {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final StringWriter written = new StringWriter();

        @Override
        public void write(char[] buf, int off, int len) throws IOException {
            entered.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            written.write(buf, off, len);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aFullQueueDropsAndCountsInsteadOfBlocking() throws Exception {
        ProxyMetrics metrics = new ProxyMetrics(new SimpleMeterRegistry());
        StuckWriter out = new StuckWriter();
        AccessLog log = new AccessLog(out, false, metrics.accessLogDropped(), 1);
        RequestObserver observer = new RequestObserver(metrics, log);
        try {
            record(observer, "r1").finish(1);
            assertThat(out.entered.await(10, TimeUnit.SECONDS)).isTrue(); // the writer holds r1
            record(observer, "r2").finish(1); // queued
            long before = System.nanoTime();
            record(observer, "r3").finish(1); // dropped, at once
            assertThat(System.nanoTime() - before).isLessThan(TimeUnit.SECONDS.toNanos(1));
            assertThat(metrics.accessLogDropped().count()).isEqualTo(1.0);
        } finally {
            out.release.countDown();
            observer.close();
        }
        assertThat(out.written.toString()).contains("\"r1\"", "\"r2\"").doesNotContain("\"r3\"");
        assertThat(metrics.unmatched()).isNotNull();
    }

    private static RequestRecord record(RequestObserver observer, String id) {
        RequestRecord r = new RequestRecord(observer, "GET", "HTTP/1.1", "/p?apikey=k", id, null);
        r.replied(404, 10);
        return r;
    }
}
