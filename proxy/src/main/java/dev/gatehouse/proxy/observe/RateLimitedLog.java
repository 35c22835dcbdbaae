package dev.gatehouse.proxy.observe;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.event.Level;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The log line of an event a client can cause at request rate (a refused request, a failed
 * upstream attempt), written from an event loop without letting a flood of them flood the log.
 *
 * <ul>
 * <li>At most {@link #linesPerSecond()} lines per second per event name (default
 * {@value #DEFAULT_LINES_PER_SECOND}, system property {@value #LINES_PER_SECOND_PROPERTY}); the
 * rest are suppressed. The first occurrence after a second in which some were suppressed first
 * writes one summary line, {@code event=<name> suppressed=<K> limit-per-second=<N>}, at the
 * event's level. (Nothing is written while the event does not recur; the counters below are
 * exact meanwhile.)</li>
 * <li>Every occurrence, written or suppressed, counts in {@code gatehouse_log_events_total{event}};
 * suppressed ones also in {@code gatehouse_log_suppressed_total{event}}. Both are JVM-wide and
 * exposed by every registry passed to {@link #bindTo} (each {@link ProxyMetrics} binds its own).</li>
 * <li>Lines read {@code event=<name> } followed by the caller's format. Lock-free and
 * allocation-free when suppressed; the window is approximate under contention (a few lines may
 * pass at a second's edge), the counts are not.</li>
 * </ul>
 *
 * <pre>{@code
 * private static final RateLimitedLog ATTEMPT_FAILED = RateLimitedLog.of(LOG, "upstream.attempt-failed");
 * ATTEMPT_FAILED.warn("upstream={} request_id={}", peer.key(), requestId);
 * }</pre>
 */
public final class RateLimitedLog {
    /** System property: lines per second per event; default {@value #DEFAULT_LINES_PER_SECOND}. */
    public static final String LINES_PER_SECOND_PROPERTY = "gatehouse.proxy.logLinesPerSecond";
    public static final int DEFAULT_LINES_PER_SECOND = 10;
    private static final long WINDOW_NANOS = TimeUnit.SECONDS.toNanos(1);

    private static final Map<String, RateLimitedLog> EVENTS = new ConcurrentHashMap<>();
    /** Registries exposing the counters; weak, so a closed proxy's registry can go. Guarded by the class's lock. */
    private static final Set<MeterRegistry> REGISTRIES = Collections.newSetFromMap(new WeakHashMap<>());

    private final Logger log;
    private final String event;
    private final String prefix;
    private final int limit;
    private final LongSupplier clock;
    private final LongAdder occurrences = new LongAdder();
    private final LongAdder suppressed = new LongAdder();
    private final AtomicLong windowStart;
    private final AtomicInteger writtenInWindow = new AtomicInteger();
    private final AtomicLong suppressedInWindow = new AtomicLong();

    RateLimitedLog(Logger log, String event, int linesPerSecond, LongSupplier clock) {
        this.log = Objects.requireNonNull(log, "log");
        this.event = Objects.requireNonNull(event, "event");
        if (event.isBlank() || event.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("event: \"" + event + "\" (expected: a name without spaces, e.g. upstream.attempt-failed)");
        }
        if (linesPerSecond < 1) {
            throw new IllegalArgumentException("linesPerSecond: " + linesPerSecond + " (expected: >= 1)");
        }
        this.prefix = "event=" + event + " ";
        this.limit = linesPerSecond;
        this.clock = clock;
        this.windowStart = new AtomicLong(clock.getAsLong());
    }

    /**
     * The one log of {@code event} in this JVM, created on first use with {@code log} and the
     * configured limit; later calls with the same name get the same instance (and its logger).
     * Keep it in a {@code static final} field: creating one registers its counters.
     */
    public static RateLimitedLog of(Logger log, String event) {
        RateLimitedLog existing = EVENTS.get(event);
        return existing != null ? existing : register(new RateLimitedLog(log, event, configuredLimit(), System::nanoTime));
    }

    private static synchronized RateLimitedLog register(RateLimitedLog created) {
        RateLimitedLog raced = EVENTS.putIfAbsent(created.event, created);
        if (raced != null) {
            return raced;
        }
        REGISTRIES.forEach(created::registerIn);
        return created;
    }

    /** Exposes the counters of every event, present and future, in {@code registry}. */
    public static synchronized void bindTo(MeterRegistry registry) {
        if (REGISTRIES.add(registry)) {
            EVENTS.values().forEach(e -> e.registerIn(registry));
        }
    }

    private static int configuredLimit() {
        String v = System.getProperty(LINES_PER_SECOND_PROPERTY);
        try {
            return v == null ? DEFAULT_LINES_PER_SECOND : Math.max(1, Integer.parseInt(v.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(LINES_PER_SECOND_PROPERTY + ": \"" + v + "\" (expected: an integer >= 1)", e);
        }
    }

    void registerIn(MeterRegistry registry) {
        FunctionCounter.builder("gatehouse.log.events", occurrences, LongAdder::sum).tag("event", event)
                .description("Occurrences of a rate-limited log event, written or not").register(registry);
        FunctionCounter.builder("gatehouse.log.suppressed", suppressed, LongAdder::sum).tag("event", event)
                .description("Lines of a rate-limited log event not written because of the per-second limit")
                .register(registry);
    }

    public String event() {
        return event;
    }

    public int linesPerSecond() {
        return limit;
    }

    /** Occurrences so far, written or suppressed. */
    public long occurrences() {
        return occurrences.sum();
    }

    /** Lines not written so far because of the limit. */
    public long suppressed() {
        return suppressed.sum();
    }

    /** Counts one occurrence and writes {@code event=<name> } + {@code format} at WARN, unless over the limit. */
    public void warn(String format, Object... args) {
        if (admit(Level.WARN)) {
            log.warn(prefix + format, args);
        }
    }

    /** Counts one occurrence and writes {@code event=<name> } + {@code format} at INFO, unless over the limit. */
    public void info(String format, Object... args) {
        if (admit(Level.INFO)) {
            log.info(prefix + format, args);
        }
    }

    /** Counts one occurrence; true when its line may be written (and the level is enabled). */
    private boolean admit(Level level) {
        occurrences.increment();
        long now = clock.getAsLong();
        long start = windowStart.get();
        if (now - start >= WINDOW_NANOS && windowStart.compareAndSet(start, now)) {
            writtenInWindow.set(0);
            long k = suppressedInWindow.getAndSet(0);
            if (k > 0 && enabled(level)) {
                String summary = "event={} suppressed={} limit-per-second={}";
                if (level == Level.WARN) {
                    log.warn(summary, event, k, limit);
                } else {
                    log.info(summary, event, k, limit);
                }
            }
        }
        if (writtenInWindow.incrementAndGet() <= limit) {
            return enabled(level);
        }
        suppressedInWindow.incrementAndGet();
        suppressed.increment();
        return false;
    }

    private boolean enabled(Level level) {
        return level == Level.WARN ? log.isWarnEnabled() : log.isInfoEnabled();
    }
}
