package dev.gatehouse.controller.k8s;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * Measures convergence: from the change that caused a snapshot (the first informer event the
 * rebuild served, which arrives within milliseconds of the API write) to the moment every
 * connected proxy has acknowledged that snapshot or a newer one. Recorded in the histogram
 * {@code gatehouse_controller_convergence_seconds} and logged as {@code event=snapshot.converged}.
 */
public final class Convergence {
    private static final Logger log = LoggerFactory.getLogger(Convergence.class);
    private final Timer timer;
    private final TreeMap<Long, Long> pending = new TreeMap<>();

    public Convergence(MeterRegistry registry) {
        this.timer = Timer.builder("gatehouse.controller.convergence")
                .description("Time from a resource change to every connected proxy's ACK of the snapshot holding it")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
    }

    public Timer timer() {
        return timer;
    }

    /** A snapshot of {@code version} was published for a change first seen at {@code changeNanos}. */
    public synchronized void published(long version, long changeNanos) {
        pending.put(version, changeNanos);
        while (pending.size() > 1000) {
            pending.pollFirstEntry();
        }
    }

    /** Something changed among the proxies: record every pending version that is now everywhere. */
    public synchronized void check(ProxyFleet fleet) {
        int connected = fleet.connected();
        if (connected == 0 || pending.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        for (Iterator<Map.Entry<Long, Long>> it = pending.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Long> e = it.next();
            if (fleet.ackedAtLeast(e.getKey()) < connected) {
                continue;
            }
            long nanos = now - e.getValue();
            timer.record(Duration.ofNanos(nanos));
            log.info("event=snapshot.converged version={} proxies={} millis={}", e.getKey(), connected, nanos / 1_000_000);
            it.remove();
        }
    }
}
