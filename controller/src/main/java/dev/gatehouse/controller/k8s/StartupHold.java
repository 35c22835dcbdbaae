package dev.gatehouse.controller.k8s;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;

import static java.util.Objects.requireNonNull;

/**
 * Holds the start-up status pass until the proxies have applied the first snapshot
 * ({@code --status-startup-hold}). At start every object's status is written once (tens of
 * thousands of writes at scale) just when the proxies decode and compile their first whole
 * snapshot; on a few cores the two compete and the initial sync takes longer (docs/scale.md). So
 * the status updater writes nothing from the first offered state until every connected proxy
 * (at least one) has answered the version of that state or a newer one, or the bound has passed
 * since that offer, whichever comes first: status is never held longer than the bound, with no
 * proxy connected too. A refusal (NACK) is an answer: that proxy's compile is over, and the status
 * pass is what tells its owner which object it refused, so it is not held for the whole bound.
 * Once only: edits after it are written as before, and a replica that becomes leader later is not
 * held again.
 *
 * <p>Logged once ({@code event=status.startup_hold_released reason=acknowledged|answered|bound}:
 * every proxy acknowledged; every proxy answered, at least one with a refusal; the bound) and
 * counted by how it ended ({@code gatehouse_controller_status_startup_hold_total{ended=...}}).
 * The updater's thread only (not thread-safe); the clock is a {@link System#nanoTime()}-like
 * value handed in, so tests drive it.
 */
final class StartupHold {
    private static final Logger log = LoggerFactory.getLogger(StartupHold.class);
    private final long boundNanos;
    private final Counter acknowledged;
    private final Counter answered;
    private final Counter bound;
    private boolean released;
    /** The version of the first state offered, and when it was first seen here; -1: none yet. */
    private long version = -1;
    private long since;

    /** @param bound the longest hold; {@link Duration#ZERO}: no hold */
    StartupHold(Duration bound, MeterRegistry registry) {
        this.boundNanos = requireNonNull(bound, "bound").toNanos();
        this.released = boundNanos == 0;
        this.acknowledged = ended(registry, "acknowledged",
                "Start-up status passes held until every connected proxy acknowledged the first snapshot");
        this.answered = ended(registry, "answered",
                "Start-up status passes held until every connected proxy answered the first snapshot, at least one refusing it");
        this.bound = ended(registry, "bound",
                "Start-up status passes held until --status-startup-hold passed (no proxy, or one not answering)");
    }

    private static Counter ended(MeterRegistry registry, String how, String description) {
        return Counter.builder("gatehouse.controller.status.startup_hold").tag("ended", how).description(description)
                .register(registry);
    }

    /**
     * Nanoseconds the status pass must still wait, 0: write. {@code offered} is the version of the
     * latest state offered (the first one seen starts the hold), {@code fleet} the proxies now.
     */
    long waitNanos(long offered, ProxyFleet fleet, long now) {
        if (released) {
            return 0;
        }
        if (version < 0) {
            version = offered;
            since = now;
        }
        int connected = fleet.connected();
        int acked = connected == 0 ? 0 : fleet.ackedAtLeast(version);
        long held = now - since;
        if (connected > 0 && acked >= connected) {
            release("acknowledged", held, connected, acked, acked, acknowledged);
            return 0;
        }
        int answers = connected == 0 ? 0 : Math.max(acked, fleet.answeredAtLeast(version));
        if (connected > 0 && answers >= connected) {
            release("answered", held, connected, acked, answers, answered);
            return 0;
        }
        if (held >= boundNanos) {
            release("bound", held, connected, acked, answers, bound);
            return 0;
        }
        return boundNanos - held;
    }

    /** True until the hold ended (or when there is none). */
    boolean holding() {
        return !released;
    }

    private void release(String reason, long heldNanos, int connected, int acked, int answers, Counter counter) {
        released = true;
        counter.increment();
        log.info("event=status.startup_hold_released reason={} held_ms={} version={} proxies_connected={} proxies_acked={} "
                        + "proxies_refused={} bound_ms={}{}", reason, heldNanos / 1_000_000, version, connected, acked,
                Math.max(0, answers - acked), boundNanos / 1_000_000,
                "bound".equals(reason) ? " note=\"the start-up status pass now runs; --status-startup-hold bounds the wait "
                        + "for the proxies' first acknowledgement\"" : "");
    }
}
