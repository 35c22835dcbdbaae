package dev.gatehouse.proxy.balance;

import dev.gatehouse.config.Upstream;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the proxy knows about one target of one upstream, shared by every event loop and kept
 * across snapshot swaps for as long as the target stays: in-flight count, request and failure
 * counters, the peak-EWMA of response time, active health and passive ejection. Every field is
 * an atomic or a volatile; nothing here locks. Round robin positions are per event loop
 * ({@link LoopView}).
 */
public final class TargetState {
    /**
     * Decay time of the latency EWMA. Finagle's peak EWMA uses 10 s, but a peak then holds for
     * seconds at any request rate, so one hiccup of a fast target makes it look as slow as a
     * really slow one. 500 ms lets peaks fade within about a second, and a target that had one
     * slow answer (losing every P2C comparison, it gets no new sample) is tried again soon.
     */
    static final long EWMA_TAU_NANOS = 500_000_000L;
    /** A repeated ejection doubles the ejection time, up to this many times the configured one. */
    static final int MAX_EJECTION_MULTIPLIER = 8;

    private final UpstreamState upstream;
    private final String key;
    private final int slot;
    final long createdNanos;
    /** The weight as last committed, for status; each {@link Balancer} balances with its snapshot's own. */
    volatile int weight;
    /** Where to connect, as last committed (health probes read it). */
    volatile Peer peer;

    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    /** Peak-EWMA of response-head latency in nanoseconds, stored as double bits, and when it was last updated. */
    private final AtomicLong ewmaBits = new AtomicLong(Double.doubleToRawLongBits(0));
    private volatile long ewmaStampNanos;

    /** Active health; targets start healthy. */
    private volatile boolean healthy = true;
    private final AtomicInteger probeSuccesses = new AtomicInteger();
    private final AtomicInteger probeFailures = new AtomicInteger();
    /** When the target last came back (health, ejection end), for slow start; createdNanos at first. */
    private volatile long returnedNanos;

    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private final AtomicLong ejectedUntilNanos = new AtomicLong();
    private final AtomicInteger ejections = new AtomicInteger();

    TargetState(UpstreamState upstream, String key, int slot, int weight, long nowNanos, boolean rampUp) {
        this.upstream = upstream;
        this.key = key;
        this.slot = slot;
        this.weight = weight;
        this.createdNanos = nowNanos;
        this.returnedNanos = rampUp ? nowNanos : Long.MIN_VALUE / 2;
    }

    /** {@code host:port}. */
    public String key() {
        return key;
    }

    /** Unique within its upstream and never reused; the bit a request sets for a tried target. */
    public int slot() {
        return slot;
    }

    public int weight() {
        return weight;
    }

    /** The target as last compiled: configured target, key and address to connect to. */
    public Peer peer() {
        return peer;
    }

    public int inFlight() {
        return inFlight.get();
    }

    public long requests() {
        return requests.get();
    }

    public long failures() {
        return failures.get();
    }

    public boolean healthy() {
        return healthy;
    }

    /** Nanos ({@link System#nanoTime()}) until which the target is ejected; in the past when not ejected. */
    public long ejectedUntilNanos() {
        return ejectedUntilNanos.get();
    }

    public boolean ejected(long nowNanos) {
        return ejectedUntilNanos.get() - nowNanos > 0;
    }

    // ---- request accounting (event loops) ----

    /** An attempt on this target starts. */
    public void begin() {
        inFlight.incrementAndGet();
        requests.incrementAndGet();
    }

    /** The attempt is over (response complete, failed or abandoned); exactly once per {@link #begin()}. */
    public void end() {
        inFlight.decrementAndGet();
    }

    /**
     * A response head arrived after {@code latencyNanos}, read at {@code now} ({@link System#nanoTime});
     * 502, 503 and 504 count as passive failures.
     */
    public void responded(long latencyNanos, int status, long now) {
        observeLatency(latencyNanos, now);
        if (status == 502 || status == 503 || status == 504) {
            failed();
        } else {
            consecutiveFailures.set(0);
        }
    }

    /** A connection failure or timeout: counts towards passive ejection. */
    public void failed() {
        failures.incrementAndGet();
        Upstream.Passive passive = upstream.passive();
        if (passive == null || passive.consecutiveFailures() <= 0) {
            return;
        }
        if (consecutiveFailures.incrementAndGet() >= passive.consecutiveFailures()) {
            long now = System.nanoTime();
            if (!ejected(now) && upstream.mayEject(now)) {
                int n = Math.min(ejections.getAndIncrement(), 3);
                long until = now + passive.ejectionTimeMillis() * 1_000_000L * Math.min(1 << n, MAX_EJECTION_MULTIPLIER);
                ejectedUntilNanos.set(until);
                returnedNanos = until;
                consecutiveFailures.set(0);
            }
        }
    }

    void observeLatency(long rttNanos, long now) {
        long prevStamp = ewmaStampNanos;
        ewmaStampNanos = now;
        for (;;) {
            long bits = ewmaBits.get();
            double prev = Double.longBitsToDouble(bits);
            double next;
            if (rttNanos > prev) {
                next = rttNanos; // peak: jump up at once
            } else {
                double w = Math.exp(-(double) Math.max(0, now - prevStamp) / EWMA_TAU_NANOS);
                next = prev * w + rttNanos * (1 - w);
            }
            if (ewmaBits.compareAndSet(bits, Double.doubleToRawLongBits(next))) {
                return;
            }
        }
    }

    /** The latency EWMA decayed to {@code now}, in nanoseconds; 0 before the first response. */
    public double ewmaNanos(long now) {
        double v = Double.longBitsToDouble(ewmaBits.get());
        long age = now - ewmaStampNanos;
        return age <= 0 ? v : v * Math.exp(-(double) age / EWMA_TAU_NANOS);
    }

    // ---- active health (the checker's thread) ----

    /** One probe result; flips health after {@code healthyThreshold} / {@code unhealthyThreshold} in a row. */
    public void probed(boolean ok, Upstream.Active active) {
        if (ok) {
            probeFailures.set(0);
            if (probeSuccesses.incrementAndGet() >= Math.max(1, active.healthyThreshold()) && !healthy) {
                healthy = true;
                returnedNanos = System.nanoTime();
            }
        } else {
            probeSuccesses.set(0);
            if (probeFailures.incrementAndGet() >= Math.max(1, active.unhealthyThreshold())) {
                healthy = false;
            }
        }
    }

    /** Healthy and not ejected (weight is the balancer's business). */
    boolean up(long now) {
        return healthy && !ejected(now);
    }

    /**
     * The weight to balance with: {@code w}, the configured weight, ramped linearly from 10%
     * over {@code slowStartNanos} after the target was added or came back.
     */
    double effectiveWeight(int w, long now, long slowStartNanos) {
        if (slowStartNanos <= 0) {
            return w;
        }
        long since = now - returnedNanos;
        if (since >= slowStartNanos) {
            return w;
        }
        return w * Math.max(0.1, (double) Math.max(0, since) / slowStartNanos);
    }
}
