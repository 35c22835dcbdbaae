package dev.gatehouse.bench.scale;

import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The rollout: {@code pods} endpoints replaced across the first {@link #upstreams} Upstreams'
 * EndpointSlices, paced evenly over {@code seconds}, as rolling updates of that many Deployments at
 * once would write them. Pod {@code p} replaces endpoint {@code p / U} of Upstream {@code u-(p mod U)};
 * each pod is four writes of its EndpointSlice (replaced whole, as the EndpointSlice controller
 * writes it), one write slot apart in turn with the other pods' (slot {@code s} of {@code 4 (pods + 3)},
 * evenly spaced: pod {@code s/4} joins, pod {@code s/4 - 1} becomes ready, ... so four pods are in
 * flight at any time):
 * <ol>
 *   <li>the new endpoint joins not ready (no snapshot change, not timed);</li>
 *   <li>it becomes ready (timed);</li>
 *   <li>the old endpoint becomes terminating, still serving: weight 0 (timed);</li>
 *   <li>the old endpoint leaves the slice (timed).</li>
 * </ol>
 * Each timed change is registered before its write, then matched to the first version the
 * {@link Observer} sees holding it (or a later state of the same endpoint: a removal coalesced
 * with the terminating before it applies both); it counts as applied when both proxies logged
 * that version, or a newer one, applied.
 */
final class Rollout implements Observer.Listener {
    /** One timed change of one endpoint: the stage its address reaches in its Upstream's targets. */
    static final class Step {
        final String upstream;
        final String address;
        final boolean fresh;
        final int stage;
        long writtenAt;
        long version = -1;

        Step(String upstream, String address, boolean fresh, int stage) {
            this.upstream = upstream;
            this.address = address;
            this.fresh = fresh;
            this.stage = stage;
        }

        /**
         * The stage {@code targets} show for this step's address: a new pod's 0 (absent) or 1 (ready:
         * weight above 0); an old pod's 0 (ready), 1 (terminating: weight 0) or 2 (gone).
         */
        int observed(Map<String, Integer> targets) {
            Integer weight = targets.get(address);
            if (fresh) {
                return weight != null && weight > 0 ? 1 : 0;
            }
            return weight == null ? 2 : weight == 0 ? 1 : 0;
        }
    }

    private final Shape shape;
    private final Generator gen;
    final int pods;
    final int upstreams;
    final long millis;
    private final Map<String, List<Step>> pending = new HashMap<>();
    final List<Step> steps = new ArrayList<>();
    int untimedWrites;

    Rollout(Shape shape, long millis) {
        this.shape = shape;
        this.gen = new Generator(shape);
        this.pods = shape.rollout();
        this.millis = millis;
        int perUpstream = Math.max(1, shape.endpoints() / shape.upstreams());
        this.upstreams = Math.min(shape.upstreams(), (pods + perUpstream - 1) / perUpstream);
        for (int p = 0; p < pods; p++) {
            if (p / upstreams >= shape.endpointsOf(p % upstreams)) {
                throw new IllegalArgumentException("rollout: " + pods + " (expected: at most " + upstreams * perUpstream
                        + ", the endpoints of the first " + upstreams + " Upstreams)");
            }
        }
        if (millis < 1) {
            throw new IllegalArgumentException("rollout-seconds: " + millis / 1000.0 + " (expected: > 0)");
        }
    }

    /** The ids of the Upstreams rolled, as the snapshot names them. */
    Set<String> upstreamIds() {
        Set<String> out = new TreeSet<>();
        for (int u = 0; u < upstreams; u++) {
            out.add(Generator.NS + "/u-" + u);
        }
        return out;
    }

    String oldAddress(int p) {
        return Shape.address(gen.firstEndpoint(p % upstreams) + p / upstreams);
    }

    String newAddress(int p) {
        return Shape.address(shape.endpoints() + p);
    }

    String slice(int p) {
        return "svc-" + (p % upstreams) + "-" + (p / upstreams) / Shape.SLICE_SIZE;
    }

    /** Writer threads: each Upstream's slices are written by one, in order; the Upstreams' writes go in parallel. */
    static final int WRITERS = 8;
    /** The latest a write was issued after its slot, in ms: how far the pace slipped. */
    final java.util.concurrent.atomic.AtomicLong lateMillis = new java.util.concurrent.atomic.AtomicLong();

    /**
     * Issues every step at its slot, on the writer of its Upstream (so writes of one slice stay in
     * order and a slow write delays only its Upstream's next ones); returns the time the last
     * write was answered.
     */
    long write(MockCluster api) throws InterruptedException {
        Map<String, EndpointSlice> slices = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.concurrent.ExecutorService[] writers = new java.util.concurrent.ExecutorService[Math.min(WRITERS, upstreams)];
        for (int w = 0; w < writers.length; w++) {
            writers[w] = java.util.concurrent.Executors.newSingleThreadExecutor();
        }
        List<java.util.concurrent.Future<?>> done = new ArrayList<>();
        int slots = 4 * (pods + 3);
        long start = System.nanoTime();
        try {
            for (int s = 0; s < slots; s++) {
                int p = s / 4 - s % 4;
                if (p < 0 || p >= pods) {
                    continue;
                }
                long due = start + (long) ((double) s * millis * 1_000_000 / slots);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                int step = s % 4;
                done.add(writers[(p % upstreams) % writers.length].submit(() -> {
                    lateMillis.accumulateAndGet((System.nanoTime() - due) / 1_000_000, Math::max);
                    writeStep(api, slices, p, step);
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get();
            }
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("rollout: a write failed: " + e.getCause(), e.getCause());
        } finally {
            for (java.util.concurrent.ExecutorService w : writers) {
                w.shutdownNow();
            }
        }
        return System.currentTimeMillis();
    }

    /** Step {@code step} (0: join not ready, 1: ready, 2: old terminating, 3: old removed) of pod {@code p}. */
    private void writeStep(MockCluster api, Map<String, EndpointSlice> slices, int p, int step) {
        String name = slice(p);
        EndpointSlice slice = slices.computeIfAbsent(name, n -> api.client.resources(EndpointSlice.class)
                .inNamespace(Generator.NS).withName(n).get());
        String upstream = Generator.NS + "/u-" + (p % upstreams);
        switch (step) {
            case 0 -> {
                slice.getEndpoints().add(Generator.endpoint(newAddress(p), false, false));
                synchronized (this) {
                    untimedWrites++;
                }
            }
            case 1 -> {
                register(new Step(upstream, newAddress(p), true, 1));
                set(slice, newAddress(p), true, false);
            }
            case 2 -> {
                register(new Step(upstream, oldAddress(p), false, 1));
                set(slice, oldAddress(p), false, true);
            }
            default -> {
                register(new Step(upstream, oldAddress(p), false, 2));
                String old = oldAddress(p);
                slice.getEndpoints().removeIf(ep -> ep.getAddresses().get(0).equals(old));
            }
        }
        slices.put(name, api.client.resource(slice).update());
    }

    synchronized void register(Step step) {
        step.writtenAt = System.currentTimeMillis();
        steps.add(step);
        pending.computeIfAbsent(step.upstream, u -> new ArrayList<>()).add(step);
    }

    private static void set(EndpointSlice slice, String address, boolean ready, boolean terminating) {
        List<Endpoint> endpoints = slice.getEndpoints();
        for (int i = 0; i < endpoints.size(); i++) {
            if (endpoints.get(i).getAddresses().get(0).equals(address)) {
                endpoints.set(i, Generator.endpoint(address, ready, terminating));
            }
        }
    }

    /** From the observer's thread: each registered step whose stage {@code version} shows is carried by it. */
    @Override
    public synchronized void seen(long version, Map<String, Map<String, Integer>> targets) {
        targets.forEach((upstream, t) -> {
            List<Step> waiting = pending.get(upstream);
            if (waiting != null) {
                waiting.removeIf(step -> {
                    if (step.observed(t) >= step.stage) {
                        step.version = version;
                        return true;
                    }
                    return false;
                });
            }
        });
        notifyAll();
    }

    /** Waits until every step written was seen in a version; false when some were not within {@code millis}. */
    synchronized boolean awaitSeen(long millis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + millis;
        while (pending.values().stream().anyMatch(l -> !l.isEmpty())) {
            long left = deadline - System.currentTimeMillis();
            if (left <= 0) {
                return false;
            }
            wait(left);
        }
        return true;
    }

    /** The highest version that carried a step; -1 when none did. */
    synchronized long lastVersion() {
        return steps.stream().mapToLong(s -> s.version).max().orElse(-1);
    }
}
