package dev.gatehouse.proxy.observe;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RateLimitedLogTest {
    /** An SLF4J logger that keeps every line it is given, formatted, prefixed with the level. */
    private static final class Recording extends LegacyAbstractLogger {
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());
        final boolean enabled;

        Recording(boolean enabled) {
            this.enabled = enabled;
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(Level level, Marker marker, String msg, Object[] args, Throwable t) {
            lines.add(level + " " + MessageFormatter.basicArrayFormat(msg, args));
        }

        @Override
        public boolean isTraceEnabled() {
            return enabled;
        }

        @Override
        public boolean isDebugEnabled() {
            return enabled;
        }

        @Override
        public boolean isInfoEnabled() {
            return enabled;
        }

        @Override
        public boolean isWarnEnabled() {
            return enabled;
        }

        @Override
        public boolean isErrorEnabled() {
            return enabled;
        }
    }

    @Test
    void atMostTheLimitPerSecondThenOneSummaryLine() {
        Recording log = new Recording(true);
        AtomicLong now = new AtomicLong(1_000_000_000L);
        RateLimitedLog flood = new RateLimitedLog(log, "test.flood", 3, now::get);
        for (int i = 0; i < 10; i++) {
            flood.warn("n={}", i);
        }
        assertThat(log.lines).containsExactly("WARN event=test.flood n=0", "WARN event=test.flood n=1", "WARN event=test.flood n=2");

        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(999));
        flood.warn("n={}", 10);
        assertThat(log.lines).as("still the same second").hasSize(3);

        now.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
        flood.warn("n={}", 11);
        assertThat(log.lines.subList(3, log.lines.size())).containsExactly(
                "WARN event=test.flood suppressed=8 limit-per-second=3", "WARN event=test.flood n=11");

        now.addAndGet(TimeUnit.SECONDS.toNanos(5));
        flood.info("n={}", 12);
        assertThat(log.lines.subList(5, log.lines.size())).as("nothing was suppressed: no summary")
                .containsExactly("INFO event=test.flood n=12");
        assertThat(flood.occurrences()).isEqualTo(13);
        assertThat(flood.suppressed()).isEqualTo(8);
    }

    @Test
    void everyOccurrenceIsCountedInTheMetricsWrittenOrNot() {
        PrometheusMeterRegistry before = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new ProxyMetrics(before);
        RateLimitedLog quiet = RateLimitedLog.of(new Recording(false), "test.counted");
        PrometheusMeterRegistry after = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new ProxyMetrics(after);
        assertThat(RateLimitedLog.of(new Recording(true), "test.counted")).as("one log per event name").isSameAs(quiet);

        for (int i = 0; i < 25; i++) {
            quiet.warn("n={}", i);
        }
        for (PrometheusMeterRegistry r : List.of(before, after)) {
            assertThat(r.scrape()).as("a registry bound before and one bound after the event was created")
                    .contains("gatehouse_log_events_total{event=\"test.counted\"} 25.0")
                    .contains("gatehouse_log_suppressed_total{event=\"test.counted\"} 15.0");
        }
    }

    @Test
    void concurrentOccurrencesAreCountedExactly() throws InterruptedException {
        Recording log = new Recording(true);
        RateLimitedLog flood = new RateLimitedLog(log, "test.concurrent", 10, System::nanoTime);
        int threads = 4;
        int each = 20_000;
        CountDownLatch done = new CountDownLatch(threads);
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            new Thread(() -> {
                for (int i = 0; i < each; i++) {
                    flood.warn("i={}", i);
                }
                done.countDown();
            }).start();
        }
        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start) + 1;
        long written;
        synchronized (log.lines) {
            written = log.lines.stream().filter(l -> !l.contains("suppressed=")).count();
        }
        assertThat(flood.occurrences()).isEqualTo((long) threads * each);
        assertThat(written + flood.suppressed()).as("each occurrence written or suppressed").isEqualTo((long) threads * each);
        assertThat(written).as("lines in %d s", seconds).isLessThanOrEqualTo((seconds + 1) * 10 + threads);
    }

    @Test
    void refusesNamesWithSpacesAndLimitsBelowOne() {
        assertThatThrownBy(() -> new RateLimitedLog(new Recording(true), "a b", 1, System::nanoTime))
                .hasMessageContaining("expected: a name without spaces");
        assertThatThrownBy(() -> new RateLimitedLog(new Recording(true), "a", 0, System::nanoTime))
                .hasMessage("linesPerSecond: 0 (expected: >= 1)");
    }
}
