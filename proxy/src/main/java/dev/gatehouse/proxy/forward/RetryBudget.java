package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Service;
import dev.gatehouse.proxy.observe.RateLimitedLog;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The retry budget of one service in one compiled snapshot (Envoy's {@code retry_budget}): its
 * limits, and the counts of attempts and retries in flight, which are shared with the snapshots
 * before and after it for as long as the service stays ({@link RetryBudgets}).
 *
 * <p>An attempt is one try of a request on one target, from the pick until its upstream
 * exchange is released (response complete, failed, or the client gone); a retry is an attempt
 * after the first. A retry is admitted only when, counting itself, the retries in flight stay at
 * or below {@code max(minConcurrency, floor(percent% × attempts in flight))}, the attempts in
 * flight counting the retry too ({@link #admits}). Envoy compares the count before the retry
 * with the limit before it; counting the retry on both sides makes {@code percent: 100} exactly
 * "no cap" (a retry is itself an attempt in flight, so retries never outnumber attempts).
 *
 * <p>Lock-free, and cheap where it is paid on every request: attempts are a {@link LongAdder}
 * (one uncontended cell increment and decrement per attempt, whatever the event loop), summed
 * only when a retry asks; retries are one {@link AtomicInteger} compare-and-set per retry. Every
 * event loop shares the counts, so the cap holds for the whole proxy, not per loop; a decision
 * may read the attempt count a moment stale (never the retry count: the compare-and-set admits
 * at most the limit it computed).
 */
public final class RetryBudget {
    private static final RateLimitedLog EXHAUSTED =
            RateLimitedLog.of(LoggerFactory.getLogger(RetryBudget.class), "upstream.retry-budget-exhausted");

    private final String serviceId;
    private final int percent;
    private final int minConcurrency;
    private final InFlight inFlight;

    RetryBudget(String serviceId, Service.RetryBudget limits, InFlight inFlight) {
        this.serviceId = Objects.requireNonNull(serviceId, "serviceId");
        this.percent = limits.percent();
        this.minConcurrency = limits.minConcurrency();
        this.inFlight = Objects.requireNonNull(inFlight, "inFlight");
    }

    /** Whether this budget has {@code limits} (its counts are whatever they are). */
    boolean hasLimits(Service.RetryBudget limits) {
        return percent == limits.percent() && minConcurrency == limits.minConcurrency();
    }

    InFlight inFlight() {
        return inFlight;
    }

    /** A budget whose counts nothing else shares (a service compiled without {@link RetryBudgets}). */
    static RetryBudget detached(Service service) {
        return new RetryBudget(service.id(), service.retryBudget(), new InFlight());
    }

    /**
     * The budget arithmetic, pure.
     *
     * @param attempts attempts in flight before the retry (first tries and retries)
     * @param retries  retries in flight before the retry
     * @return whether one more retry keeps {@code retries + 1 <= max(minConcurrency,
     *         floor(percent * (attempts + 1) / 100))}; always true at {@code percent >= 100}
     */
    static boolean admits(int percent, int minConcurrency, int attempts, int retries) {
        if (percent >= Service.RetryBudget.MAX_PERCENT) {
            return true;
        }
        return retries + 1L <= limit(percent, minConcurrency, attempts + 1L);
    }

    /** {@code max(minConcurrency, floor(percent% × attempts))}, the retries allowed in flight. */
    static long limit(int percent, int minConcurrency, long attempts) {
        return Math.max(minConcurrency, percent * Math.max(0, attempts) / 100);
    }

    /** A request's first attempt starts. */
    void attemptStarted() {
        inFlight.attempts.increment();
    }

    /**
     * A request's next attempt asks to start: admitted (and counted, as an attempt and as a retry)
     * or refused.
     */
    boolean tryRetry() {
        AtomicInteger retries = inFlight.retries;
        for (;;) {
            int r = retries.get();
            if (!admits(percent, minConcurrency, attemptsInFlight(), r)) {
                return false;
            }
            if (retries.compareAndSet(r, r + 1)) {
                inFlight.attempts.increment();
                return true;
            }
        }
    }

    /**
     * A retry of a request on {@code route} was refused: counted in the route's
     * {@code gatehouse_retries_budget_exhausted_total} and logged (rate-limited).
     */
    void refused(CompiledRoute route, String requestId, int status) {
        route.meters().retryBudgetExhausted();
        EXHAUSTED.warn("service={} route={} request_id={} status={} retries_in_flight={} attempts_in_flight={} percent={}"
                        + " min_concurrency={}", serviceId, route.route().id(), requestId, status, retriesInFlight(),
                attemptsInFlight(), percent, minConcurrency);
    }

    /** An attempt counted by {@link #attemptStarted} or admitted by {@link #tryRetry} ended. */
    void attemptEnded(boolean retry) {
        inFlight.attempts.decrement();
        if (retry) {
            inFlight.retries.decrementAndGet();
        }
    }

    public String serviceId() {
        return serviceId;
    }

    public int percent() {
        return percent;
    }

    public int minConcurrency() {
        return minConcurrency;
    }

    /** Attempts of this service's requests in flight now, across snapshots. */
    public int attemptsInFlight() {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(0, inFlight.attempts.sum()));
    }

    /** Retries of this service's requests in flight now, across snapshots. */
    public int retriesInFlight() {
        return inFlight.retries.get();
    }

    /** The retries allowed in flight at the current attempt count. */
    public long limitNow() {
        return percent >= Service.RetryBudget.MAX_PERCENT ? Long.MAX_VALUE : limit(percent, minConcurrency, attemptsInFlight());
    }

    boolean sharesCountsWith(RetryBudget other) {
        return inFlight == other.inFlight;
    }

    /** The counts of one service, outliving snapshots while the service stays. */
    static final class InFlight {
        final LongAdder attempts = new LongAdder();
        final AtomicInteger retries = new AtomicInteger();
    }
}
