package dev.gatehouse.controller.channel;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Bounded waiting for tests: poll every 10 ms until true or the deadline, then fail saying what. */
final class Poll {
    private Poll() {
    }

    static void until(Duration timeout, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what);
            }
            sleep(10);
        }
    }

    /**
     * Waits up to 30 s: a bound on waiting for an event, not a figure; 5 s was missed by 0.1 s on a
     * machine at load 17, and 15 s under two more busy loops (a proxy's first acknowledgement in
     * EndpointDeltaChannelTest).
     */
    static void until(String what, BooleanSupplier condition) {
        until(Duration.ofSeconds(30), what, condition);
    }

    /** Fails if {@code condition} becomes true within {@code period}. */
    static void never(Duration period, String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + period.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                throw new AssertionError("happened, but should not: " + what);
            }
            sleep(10);
        }
    }

    static <T> T value(String what, Supplier<T> supplier) {
        Object[] holder = new Object[1];
        until(what, () -> (holder[0] = supplier.get()) != null);
        @SuppressWarnings("unchecked")
        T t = (T) holder[0];
        return t;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
