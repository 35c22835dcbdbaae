package dev.gatehouse.proxy.channel;

import java.util.function.LongUnaryOperator;

/**
 * Exponential backoff with full jitter: before retry {@code n} (0-based) wait a uniformly random
 * time in {@code [0, min(cap, base * 2^n)]}, so a fleet of proxies that lost the same controller
 * does not reconnect in lockstep. ("Exponential Backoff and Jitter", AWS Architecture Blog, 2015.)
 */
final class Backoff {
    static final long BASE_MILLIS = 100;
    static final long CAP_MILLIS = 5_000;

    private final long baseMillis;
    private final long capMillis;
    /** Given an inclusive bound, a random value in [0, bound]. */
    private final LongUnaryOperator random;

    Backoff(long baseMillis, long capMillis, LongUnaryOperator random) {
        if (baseMillis <= 0 || capMillis < baseMillis) {
            throw new IllegalArgumentException("base, cap: " + baseMillis + ", " + capMillis
                    + " (expected: 0 < base <= cap)");
        }
        this.baseMillis = baseMillis;
        this.capMillis = capMillis;
        this.random = random;
    }

    static Backoff standard() {
        return new Backoff(BASE_MILLIS, CAP_MILLIS,
                bound -> java.util.concurrent.ThreadLocalRandom.current().nextLong(bound + 1));
    }

    /** The largest delay before retry {@code n}. */
    long ceiling(int n) {
        int shift = Math.min(Math.max(n, 0), 30);
        long grown = baseMillis << shift;
        return grown <= 0 || grown > capMillis ? capMillis : grown;
    }

    /** The delay before retry {@code n}, in milliseconds. */
    long delayMillis(int n) {
        return random.applyAsLong(ceiling(n));
    }
}
