package dev.gatehouse.e2e;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Steady GET load for a drill: {@code clients} threads, each on its own keep-alive
 * {@link DrillClient}, sending {@code GET path} back to back (or paced to a rate per client),
 * each request with a unique
 * {@code X-Drill-Id} ({@code <prefix>-<n>}). Every request is accounted for: answered 200
 * ({@link #ok}, with the latency), or a failure (another status, an I/O error, or the answer to
 * another request: {@link #wrongAnswers}) with the reason.
 */
final class DrillLoad implements AutoCloseable {
    /** One answered request: its id, who served it, and how long it took. */
    record Done(String id, String servedBy, long nanos) {
    }

    private final String prefix;
    private final AtomicInteger sequence = new AtomicInteger();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    final AtomicInteger sent = new AtomicInteger();
    final List<Done> ok = Collections.synchronizedList(new ArrayList<>());
    /** id → what went wrong. */
    final Map<String, String> failures = new ConcurrentHashMap<>();
    /** id → the answer to another request it got instead of its own ({@link DrillClient.WrongAnswer}); in {@link #failures} too. */
    final Map<String, String> wrongAnswers = new ConcurrentHashMap<>();

    private DrillLoad(String prefix) {
        this.prefix = prefix;
    }

    /** Back to back: as fast as the proxy answers. */
    static DrillLoad start(String prefix, int port, int clients, String path) {
        return start(prefix, port, clients, path, 0);
    }

    /** @param perClientPerSecond requests a second each client sends at most; 0 for back to back */
    static DrillLoad start(String prefix, int port, int clients, String path, int perClientPerSecond) {
        DrillLoad load = new DrillLoad(prefix);
        long intervalNanos = perClientPerSecond == 0 ? 0 : 1_000_000_000L / perClientPerSecond;
        for (int c = 0; c < clients; c++) {
            Thread t = new Thread(() -> load.run(port, path, intervalNanos), "drill-load-" + prefix + "-" + c);
            t.setDaemon(true);
            load.threads.add(t);
            t.start();
        }
        return load;
    }

    private void run(int port, String path, long intervalNanos) {
        long due = System.nanoTime();
        try (DrillClient client = new DrillClient(port)) {
            while (running.get()) {
                if (intervalNanos > 0) {
                    due += intervalNanos;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    }
                }
                String id = prefix + "-" + sequence.incrementAndGet();
                sent.incrementAndGet();
                long t0 = System.nanoTime();
                try {
                    DrillClient.Response r = client.get(path, id);
                    if (r.status() == 200) {
                        ok.add(new Done(id, r.servedBy(), System.nanoTime() - t0));
                    } else {
                        failures.put(id, "status " + r.status() + " " + r.body());
                    }
                } catch (DrillClient.WrongAnswer e) {
                    wrongAnswers.put(id, e.getMessage());
                    failures.put(id, e.toString());
                } catch (Exception e) {
                    failures.put(id, e.toString());
                }
            }
        }
    }

    int answered() {
        return ok.size();
    }

    /** Stops sending; waits (bounded) for the requests in flight to end. */
    DrillLoad stop() throws InterruptedException {
        running.set(false);
        for (Thread t : threads) {
            t.join(30_000);
            if (t.isAlive()) {
                throw new AssertionError(t.getName() + " still waits on a request 30 s after the load stopped");
            }
        }
        return this;
    }

    /** Served by backend name → count. */
    Map<String, Long> servedBy() {
        Map<String, Long> out = new java.util.TreeMap<>();
        synchronized (ok) {
            for (Done d : ok) {
                out.merge(String.valueOf(d.servedBy()), 1L, Long::sum);
            }
        }
        return out;
    }

    /** The p-th percentile (0..100) of the answered requests' latencies, in ms. */
    double percentileMillis(double p) {
        return percentileMillis(latencies(), p);
    }

    long[] latencies() {
        synchronized (ok) {
            return ok.stream().mapToLong(Done::nanos).sorted().toArray();
        }
    }

    static double percentileMillis(long[] sortedNanos, double p) {
        if (sortedNanos.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sortedNanos.length) - 1;
        return sortedNanos[Math.max(0, Math.min(sortedNanos.length - 1, i))] / 1e6;
    }

    @Override
    public void close() throws InterruptedException {
        if (running.get()) {
            stop();
        }
    }
}
