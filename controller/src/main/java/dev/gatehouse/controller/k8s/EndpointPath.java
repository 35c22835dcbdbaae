package dev.gatehouse.controller.k8s;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Changes of Services and EndpointSlices, served on a path of their own: a rollout's changes
 * reach the proxies without waiting for a whole rebuild each. The Services changed are gathered
 * and handed, on one thread of their own, to the controller's endpoint step (the targets of just
 * the Upstreams that read them re-derived, and published as an {@code endpoints} delta). No
 * hold-off: when idle, a change runs at once; changes that come while a run is in progress are
 * served together by the next run (a rollout's burst coalesces by itself, as fast as the runs go).
 *
 * <p>A batch the endpoint step declines (something else than Upstreams' targets would change) goes
 * to the whole rebuild: {@link Debouncer#markSoon()} when an EndpointSlice changed, as before this
 * path, {@link Debouncer#mark()} for a Service alone.
 */
final class EndpointPath implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EndpointPath.class);

    /** The controller's endpoint step. */
    @FunctionalInterface
    interface Step {
        /**
         * @param services    the Services changed, {@code namespace/name}
         * @param changeNanos {@link System#nanoTime()} of the first change served
         * @return null when served (published, or nothing to publish); else why a whole rebuild is needed
         */
        String run(Set<String> services, long changeNanos);
    }

    private final Step step;
    private final Debouncer fallback;
    private final ExecutorService executor;
    private final MeterRegistry registry;
    private final Counter runs;
    private Set<String> pending = new HashSet<>();
    private boolean slices;
    private long firstNanos = -1;
    private boolean scheduled;
    private boolean running;
    private long lastRunEnd = System.nanoTime() - TimeUnit.SECONDS.toNanos(1);

    EndpointPath(Step step, Debouncer fallback, MeterRegistry registry) {
        this.step = step;
        this.fallback = fallback;
        this.registry = registry;
        this.runs = Counter.builder("gatehouse.controller.endpoint.runs")
                .description("Batches of Service and EndpointSlice changes handed to the endpoint step").register(registry);
        this.executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "gatehouse-endpoints");
            t.setDaemon(true);
            return t;
        });
    }

    /** Service {@code service} or one of its EndpointSlices changed. Cheap; safe from any thread (informer handlers). */
    void changed(String service, boolean slice) {
        if (service == null) {
            fallback.markSoon(); // an EndpointSlice without its Service's label: the whole rebuild decides
            return;
        }
        synchronized (this) {
            if (executor.isShutdown()) {
                return;
            }
            pending.add(service);
            slices |= slice;
            if (firstNanos < 0) {
                firstNanos = System.nanoTime();
            }
            if (scheduled) {
                return;
            }
            scheduled = true;
        }
        executor.execute(this::drain);
    }

    private void drain() {
        Set<String> batch;
        boolean anySlice;
        long first;
        synchronized (this) {
            batch = pending;
            pending = new HashSet<>();
            anySlice = slices;
            slices = false;
            first = firstNanos;
            firstNanos = -1;
            scheduled = false;
            running = !batch.isEmpty();
        }
        if (batch.isEmpty()) {
            return;
        }
        runs.increment();
        String declined;
        try {
            declined = step.run(batch, first);
        } catch (RuntimeException e) {
            log.error("event=endpoints.failed services={} error=\"{}\" action=full_rebuild", batch.size(), e.toString(), e);
            declined = "failed";
        } finally {
            synchronized (this) {
                running = false;
                lastRunEnd = System.nanoTime();
            }
        }
        if (declined != null) {
            Counter.builder("gatehouse.controller.endpoint.fallbacks").tag("reason", declined)
                    .description("Batches of Service and EndpointSlice changes the endpoint step handed to a whole rebuild")
                    .register(registry).increment();
            if ("no-translation-yet".equals(declined)) {
                // the informers' initial adds, before the first rebuild: thousands at a large cluster's start
                log.debug("event=endpoints.fallback services={} reason={}", batch.size(), declined);
            } else {
                log.info("event=endpoints.fallback services={} reason={}", batch.size(), declined);
            }
            if (anySlice) {
                fallback.markSoon();
            } else {
                fallback.mark();
            }
        }
    }

    /**
     * As {@link Debouncer#quietIn}, for this path: -1 while changes wait or a run is under way,
     * else the nanoseconds until it has been idle for {@code quietNanos} (0: it has). The status
     * writer keeps off a rollout's endpoint publishes as it keeps off the rebuild's.
     */
    synchronized long quietIn(long quietNanos) {
        if (scheduled || running) {
            return -1;
        }
        return Math.max(0, lastRunEnd + quietNanos - System.nanoTime());
    }

    @Override
    public void close() {
        synchronized (this) {
            executor.shutdown();
        }
        try {
            if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.shutdownNow();
        }
    }
}
