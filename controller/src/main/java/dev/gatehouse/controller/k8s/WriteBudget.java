package dev.gatehouse.controller.k8s;

import java.util.function.LongSupplier;

/**
 * A token bucket for status writes: {@code perSecond} writes a second on average, up to
 * {@code burst} at once after a quiet spell. Used by the one status thread only (not thread-safe).
 * The clock is a {@link System#nanoTime()}-like source, so tests drive it by hand.
 */
final class WriteBudget {
    private final double perNano;
    private final int burst;
    private final LongSupplier nanoTime;
    private double tokens;
    private long refilledAt;

    /**
     * @param perSecond writes a second, at least 1 ({@code --status-writes-per-second})
     * @param burst     writes allowed at once, at least 1
     */
    WriteBudget(int perSecond, int burst, LongSupplier nanoTime) {
        if (perSecond < 1) {
            throw new IllegalArgumentException("perSecond: " + perSecond + " (expected: >= 1)");
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst: " + burst + " (expected: >= 1)");
        }
        this.perNano = perSecond / 1e9;
        this.burst = burst;
        this.nanoTime = java.util.Objects.requireNonNull(nanoTime, "nanoTime");
        this.tokens = burst;
        this.refilledAt = nanoTime.getAsLong();
    }

    /** Nanoseconds until a write is allowed; 0: now. Takes nothing. */
    long waitNanos() {
        refill();
        return tokens >= 1 ? 0 : (long) Math.ceil((1 - tokens) / perNano);
    }

    /** Takes one write's token; call only after {@link #waitNanos()} returned 0. */
    void take() {
        refill();
        if (tokens < 1) {
            throw new IllegalStateException("no write is allowed yet: " + waitNanos() + " ns to wait");
        }
        tokens -= 1;
    }

    private void refill() {
        long now = nanoTime.getAsLong();
        tokens = Math.min(burst, tokens + (now - refilledAt) * perNano);
        refilledAt = now;
    }
}
