package dev.gatehouse.proxy;

import io.micrometer.core.instrument.MeterRegistry;

import java.time.Duration;

/** What a proxy's {@code gatehouse_upstream_connections_*} counters say, read from its registry. */
final class UpstreamConnectionCounts {
    private final MeterRegistry registry;

    UpstreamConnectionCounts(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * {@code gatehouse_upstream_connections_closed_total{reason}} once it reaches {@code n}, waiting up to
     * {@code wait} (a close is counted when the proxy sees it, a moment after the target does), else what it is then.
     */
    double closed(String reason, int n, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        double count;
        while ((count = registry.get("gatehouse.upstream.connections.closed").tag("reason", reason).counter().count()) < n
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return count;
    }

    /** The closes of every reason. */
    double closedInAll() {
        return registry.get("gatehouse.upstream.connections.closed").counters().stream().mapToDouble(c -> c.count()).sum();
    }

    double opened() {
        return registry.get("gatehouse.upstream.connections.opened").counter().count();
    }
}
