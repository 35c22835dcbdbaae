package dev.gatehouse.bench.scale;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When a process first logged each of some events ({@code event=NAME }), by the time its line
 * carries: where the initial sync's time goes (lists and translation, connection, apply).
 */
final class Marks {
    private final List<String> events;
    private final Map<String, Long> first = new ConcurrentHashMap<>();

    Marks(String... events) {
        this.events = List.of(events);
    }

    void line(long stamp, String line) {
        for (String e : events) {
            if (line.contains("event=" + e + " ")) {
                first.putIfAbsent(e, stamp);
            }
        }
    }

    /**
     * Waits up to {@code millis} for the event's first line: a line the process has written may not
     * have been read from its output yet when the harness reports (the reader is a thread of its own).
     */
    void await(String event, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (!first.containsKey(event) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
    }

    /** Seconds from {@code start} (epoch ms) to the event's first line, as text; "—" when it never came. */
    String since(String event, long start) {
        Long at = first.get(event);
        return at == null ? "—" : String.format("%.1f s", (at - start) / 1000.0);
    }
}
