package dev.gatehouse.proxy.observe;

/**
 * The wall-clock time of a {@link System#nanoTime} reading, for the access log's {@code time}: the
 * request path reads one clock, the monotonic one, and its start becomes a date only when a line is
 * written. The pair of readings it converts from is taken again once a second (one
 * {@link System#currentTimeMillis} a second instead of one per request), so a step of the wall clock
 * shows in the log within a second, and the monotonic clock's drift against it over that second
 * (parts per million) stays under a millisecond.
 */
final class WallClock {
    private static final long REBASE_NANOS = 1_000_000_000L;

    /** A wall-clock time and the monotonic reading taken with it. */
    private record Base(long millis, long nanos) {
    }

    private static volatile Base base = new Base(System.currentTimeMillis(), System.nanoTime());

    private WallClock() {
    }

    /**
     * Milliseconds since the epoch at monotonic reading {@code nanos}. Any thread; the base is
     * taken again when {@code nanos} is a second or more past it (a reading older than the base, a
     * request that started before it, is converted from the newer base as well).
     */
    static long millisAt(long nanos) {
        Base b = base;
        if (nanos - b.nanos >= REBASE_NANOS) {
            b = new Base(System.currentTimeMillis(), System.nanoTime());
            base = b;
        }
        return b.millis + Math.floorDiv(nanos - b.nanos, 1_000_000L);
    }
}
