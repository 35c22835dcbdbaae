package dev.gatehouse.proxy.observe;

import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.channel.DefaultEventLoopGroup;
import io.netty.channel.EventLoop;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Request timers recorded on an event loop wait in the loop's buffer and reach the timers by the
 * loop's drain: on a scrape, once {@link TimerSamples#DRAIN_AT} wait, every second. Counters are
 * counted at once. Real event loops; no timing is asserted, only what a scrape or an await sees.
 */
class TimerSamplesTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ProxyMetrics metrics = new ProxyMetrics(registry);
    private final DefaultEventLoopGroup group = new DefaultEventLoopGroup(2);

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** The meters of routes ns/a and ns/b, one snapshot. */
    private RouteMeters[] routes() {
        RouteMetersFactory f = metrics.factory();
        RouteMeters[] m = {f.route("ns/a", "ns/s", null, null, null), f.route("ns/b", "ns/s", null, null, null)};
        f.commit();
        return m;
    }

    private Timer latency(String route) {
        return registry.get("gatehouse.request.duration").tag("route", route).timer();
    }

    private Timer upstream(String route) {
        return registry.get("gatehouse.upstream.duration").tag("route", route).timer();
    }

    /** Runs {@code n} answers of {@code meters} on {@code loop}, in one task, and waits for it. */
    private static void answer(EventLoop loop, RouteMeters meters, int n) throws Exception {
        loop.submit(() -> {
            for (int i = 0; i < n; i++) {
                meters.answered(200, 2_000_000, 1_000_000, 0);
            }
        }).get(10, TimeUnit.SECONDS);
    }

    @Test
    void aScrapeHoldsEveryRequestAnsweredOnAnyLoopBeforeIt() throws Exception {
        metrics.attach(group);
        RouteMeters a = routes()[0];
        answer(group.next(), a, 3);
        answer(group.next(), a, 2);
        // the counters at once; the timers wait in their loops' buffers (the drain task of a quiet
        // loop runs once a second: what is drained already is fine, the scrape drains the rest)
        assertThat(registry.get("gatehouse.requests").tag("route", "ns/a").tag("status_class", "2xx").counter().count())
                .isEqualTo(5);

        String text = metrics.scrape();
        assertThat(text).contains("gatehouse_request_duration_seconds_count{route=\"ns/a\",service=\"ns/s\"} 5");
        assertThat(text).contains("gatehouse_upstream_duration_seconds_count{route=\"ns/a\",service=\"ns/s\"} 5");
        assertThat(latency("ns/a").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(10.0);
        assertThat(latency("ns/a").max(TimeUnit.MILLISECONDS)).isEqualTo(2.0);
        assertThat(upstream("ns/a").totalTime(TimeUnit.MILLISECONDS)).isEqualTo(5.0);
    }

    @Test
    void aLoopDrainsOnItsOwnOnceEnoughWaitAndOnItsTimer() throws Exception {
        metrics.attach(group);
        RouteMeters[] routes = routes();
        RouteMeters a = routes[0];
        RouteMeters b = routes[1];
        EventLoop loop = group.next();
        // DRAIN_AT samples (two a request) queue the loop's drain as its next task
        answer(loop, a, TimerSamples.DRAIN_AT / 2);
        loop.submit(() -> { }).get(10, TimeUnit.SECONDS); // runs after the drain task queued before it
        assertThat(latency("ns/a").count()).isEqualTo(TimerSamples.DRAIN_AT / 2);

        // a single request on a quiet loop: its once-a-second drain, awaited (no scrape)
        answer(loop, b, 1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (latency("ns/b").count() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(latency("ns/b").count()).isEqualTo(1);
        assertThat(upstream("ns/b").count()).isEqualTo(1);
    }

    @Test
    void moreThanABufferInOneLoopTurnIsAllRecorded() throws Exception {
        metrics.attach(group);
        RouteMeters a = routes()[0];
        int n = TimerSamples.CAPACITY * 2 + 7; // the drain task cannot run inside this one task
        answer(group.next(), a, n);
        metrics.drainTimers();
        assertThat(latency("ns/a").count()).isEqualTo(n);
        assertThat(upstream("ns/a").count()).isEqualTo(n);
    }

    @Test
    void aThreadWithoutABufferRecordsAtOnceAndADeadLoopIsDrainedByTheScrape() throws Exception {
        RouteMeters a = routes()[0];
        a.answered(200, 3_000_000, -1, 0); // not an attached loop: recorded at once
        assertThat(latency("ns/a").count()).isEqualTo(1);
        assertThat(upstream("ns/a").count()).isZero();

        metrics.attach(group);
        answer(group.next(), a, 4);
        group.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        metrics.drainTimers();
        assertThat(latency("ns/a").count()).isEqualTo(5);
    }

    /**
     * A loop kept busy past the drain wait ({@code --metrics-drain-wait}, here 200 ms): the scrape
     * returns after the wait, not after the loop, and the late loop is counted once and logged once;
     * its samples reach the timers on its next drain.
     */
    @Test
    void aScrapeWaitsNoLongerThanTheDrainWaitForABusyLoop() throws Exception {
        PrometheusMeterRegistry own = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        ProxyMetrics waiting = new ProxyMetrics(own, Duration.ofMillis(200));
        DefaultEventLoopGroup busy = new DefaultEventLoopGroup(1);
        CountDownLatch release = new CountDownLatch(1);
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try {
            waiting.attach(busy);
            RouteMetersFactory f = waiting.factory();
            RouteMeters a = f.route("ns/a", "ns/s", null, null, null);
            f.commit();
            EventLoop loop = busy.next();
            answer(loop, a, 3);
            CountDownLatch blocking = new CountDownLatch(1);
            loop.execute(() -> {
                blocking.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertThat(blocking.await(10, TimeUnit.SECONDS)).isTrue();
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            long start = System.nanoTime();
            String text = waiting.scrape();
            long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            System.setErr(original);

            assertThat(tookMillis).as("the scrape waited the drain wait, not the loop").isBetween(200L, 1_500L);
            assertThat(text).contains("gatehouse_metrics_drain_late_total 1.0");
            assertThat(own.get("gatehouse.metrics.drain.late").counter().count()).isEqualTo(1);
            List<String> late = captured.toString(StandardCharsets.UTF_8).lines()
                    .filter(l -> l.contains("event=metrics.drain_late")).toList();
            assertThat(late).hasSize(1);
            assertThat(late.get(0)).contains("waited_ms=200");

            release.countDown();
            waiting.drainTimers();
            assertThat(own.get("gatehouse.request.duration").tag("route", "ns/a").timer().count())
                    .as("recorded on the loop's next drain").isEqualTo(3);
            assertThat(own.get("gatehouse.metrics.drain.late").counter().count()).isEqualTo(1);
        } finally {
            System.setErr(original);
            release.countDown();
            busy.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
