package dev.gatehouse.bench.scale;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The snapshot versions one process logged, each with the time its line carries: a proxy's
 * {@code event=snapshot.applied version=V routes=N ... kind=snapshot|objects} (a whole snapshot or an
 * object delta, validated, compiled and swapped in) or {@code event=snapshot.applied version=V
 * kind=endpoints} (an endpoint delta applied in place: the routes are the version's before), or the
 * controller's {@code event=channel.publish version=V ... bytes=B delta-bytes=D delta-kind=K} (the
 * message every proxy at the base is sent: the delta's D when there is one, else the whole
 * snapshot's B; B is {@code -} when a delta made encoding the whole snapshot unnecessary).
 */
final class Versions {
    static final Pattern APPLIED = Pattern.compile("event=snapshot\\.applied version=(\\d+) (?:routes=(\\d+)|kind=endpoints)");
    static final Pattern PUBLISHED = Pattern.compile("event=channel\\.publish version=(\\d+) \\S+ bytes=(\\d+|-)(?: delta-bytes=(\\d+))?");
    private final Pattern pattern;
    private final Map<Long, Long> at = new ConcurrentHashMap<>();
    private final Map<Long, Long> figure = new ConcurrentHashMap<>();
    private long latest;
    private long latestFigure;

    Versions(Pattern pattern) {
        this.pattern = pattern;
    }

    /** A log line of the process; lines that are not the event are ignored. */
    void line(long stamp, String line) {
        Matcher m = pattern.matcher(line);
        if (!m.find()) {
            return;
        }
        long v = Long.parseLong(m.group(1));
        at.put(v, stamp);
        synchronized (this) {
            long f = m.groupCount() >= 3 && m.group(3) != null ? Long.parseLong(m.group(3)) // a delta's bytes
                    : m.group(2) != null && !m.group(2).equals("-") ? Long.parseLong(m.group(2))
                    : latestFigure; // an endpoint delta keeps the routes
            figure.put(v, f);
            if (v > latest) {
                latest = v;
                latestFigure = f;
            }
            notifyAll();
        }
    }

    synchronized long latest() {
        return latest;
    }

    /** Routes (applied) or bytes (published) of the latest version. */
    synchronized long latestFigure() {
        return latestFigure;
    }

    Long at(long version) {
        return at.get(version);
    }

    /**
     * When the process first held {@code version} or a newer one: the stamp of the lowest version
     * at or above it that it logged (a process may skip versions, taking a newer one whole); null
     * when it logged none.
     */
    Long firstAtOrAbove(long version) {
        long best = Long.MAX_VALUE;
        Long stamp = null;
        for (Map.Entry<Long, Long> e : at.entrySet()) {
            if (e.getKey() >= version && e.getKey() < best) {
                best = e.getKey();
                stamp = e.getValue();
            }
        }
        return stamp;
    }

    /** The versions logged above {@code after}, in order. */
    java.util.List<Long> above(long after) {
        return at.keySet().stream().filter(v -> v > after).sorted().toList();
    }

    Long figure(long version) {
        return figure.get(version);
    }

    /** Waits for a version above {@code after}; returns it, or -1 when none came within {@code millis}. */
    synchronized long awaitAbove(long after, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (latest <= after) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return -1;
            }
            wait(left);
        }
        return latest;
    }

    /** Waits until the latest version's figure is {@code expected}; returns that version, or -1 on time out. */
    synchronized long awaitFigure(long expected, long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (latestFigure != expected) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return -1;
            }
            wait(left);
        }
        return latest;
    }
}
