package dev.gatehouse.bench.scale;

import dev.gatehouse.bench.scale.standin.StandInDispatcher;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * The API server the cluster runs on: the Fabric8 mock API server's HTTP and WebSocket layer
 * with either its own CRUD dispatcher ({@code --api mock}) or the indexed stand-in
 * ({@code --api standin}, {@link StandInDispatcher}), the generated objects written through the
 * API as {@code kubectl apply} would, and a count of the requests it served by kind (reads,
 * watches, writes, status writes) — the mock server keeps every request it receives in a queue,
 * drained here so a long run does not grow the harness's heap.
 */
final class MockCluster implements AutoCloseable {
    private final KubernetesMockServer server;
    final KubernetesClient client;
    private final Thread drainer;
    final AtomicLong requests = new AtomicLong();
    final AtomicLong statusWrites = new AtomicLong();
    /** Writes other than the leader's Lease renewals. */
    final AtomicLong writes = new AtomicLong();
    private volatile boolean closed;

    /** Which dispatcher answers: the mock server's CRUD mode, or the indexed stand-in. */
    enum Api {
        MOCK, STANDIN;

        static Api parse(String v) {
            return switch (v) {
                case "mock" -> MOCK;
                case "standin" -> STANDIN;
                default -> throw new IllegalArgumentException("--api: " + v + " (expected: mock or standin)");
            };
        }

        String describe() {
            return this == MOCK ? "the Fabric8 mock API server (CRUD mode)" : "the indexed API stand-in (bench/scale StandInDispatcher)";
        }
    }

    final Api api;
    private final Timed timed;

    /**
     * The dispatcher's own time per request (routing, lookup, JSON, the response built; not the
     * HTTP transfer nor the client): what the API server costs per request, apart from the wire.
     */
    private static final class Timed extends Dispatcher {
        final Dispatcher delegate;
        final AtomicLong nanos = new AtomicLong();
        final AtomicLong count = new AtomicLong();

        Timed(Dispatcher delegate) {
            this.delegate = delegate;
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            long t = System.nanoTime();
            try {
                return delegate.dispatch(request);
            } finally {
                nanos.addAndGet(System.nanoTime() - t);
                count.incrementAndGet();
            }
        }

        @Override
        public void shutdown() {
            delegate.shutdown();
        }

        @Override
        public void releaseResources() {
            delegate.releaseResources();
        }
    }

    /** Requests dispatched so far and the mean dispatch time of each, in microseconds. */
    String dispatchCost() {
        long n = timed.count.get();
        return String.format("%,d requests, %.0f µs each on average", n, n == 0 ? 0.0 : timed.nanos.get() / 1000.0 / n);
    }

    MockCluster(Api api) {
        this.api = api;
        Dispatcher dispatcher = api == Api.MOCK ? new KubernetesCrudDispatcher() : new StandInDispatcher();
        timed = new Timed(dispatcher);
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), timed, false);
        server.init();
        client = server.createClient();
        drainer = new Thread(this::drain, "mock-request-drainer");
        drainer.setDaemon(true);
        drainer.start();
    }

    /** The URL clients reach the API server on. */
    String url() {
        return client.getMasterUrl().toString();
    }

    private void drain() {
        while (!closed) {
            try {
                RecordedRequest r = server.takeRequest(200, TimeUnit.MILLISECONDS);
                if (r == null) {
                    continue;
                }
                requests.incrementAndGet();
                String method = r.getMethod();
                String path = r.getPath() == null ? "" : r.getPath();
                if (!"GET".equals(method) && !path.contains("/leases")) { // the leader renews its Lease every 2 s
                    writes.incrementAndGet();
                    if (path.contains("/status")) {
                        statusWrites.incrementAndGet();
                    }
                }
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                // a request the mock could not record: not ours to count
            }
        }
    }

    /** Creates {@code count} objects made by {@code make}, {@code threads} at a time; returns how many. */
    int createAll(int count, IntFunction<? extends HasMetadata> make, int threads) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            int per = (count + threads - 1) / threads;
            for (int t = 0; t < threads; t++) {
                int from = t * per;
                int to = Math.min(count, from + per);
                done.add(pool.submit(() -> {
                    for (int i = from; i < to; i++) {
                        client.resource(make.apply(i)).create();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            return count;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Waits until the API server has taken no write (Lease renewals aside) for {@code quietMillis},
     * up to {@code withinMillis}: the controller has finished writing status. Returns the ms from
     * the call to the last write, or -1 on time out.
     */
    long awaitQuiet(long quietMillis, long withinMillis) throws InterruptedException {
        long start = System.currentTimeMillis();
        long last = writes.get();
        long lastChange = start;
        while (System.currentTimeMillis() - start < withinMillis) {
            Thread.sleep(100);
            long now = writes.get();
            if (now != last) {
                last = now;
                lastChange = System.currentTimeMillis();
            } else if (System.currentTimeMillis() - lastChange >= quietMillis) {
                return lastChange - start;
            }
        }
        return -1;
    }

    @Override
    public void close() {
        closed = true;
        client.close();
        try {
            server.destroy();
        } catch (IllegalStateException e) {
            System.err.println("scale: the mock API server did not close cleanly: " + e.getMessage());
        }
    }
}
