package dev.gatehouse.proxy.channel;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.ContentHash;
import dev.gatehouse.config.KeyDigest;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotIndex;
import dev.gatehouse.config.Source;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.config.channel.Ack;
import dev.gatehouse.config.channel.ChannelMessage;
import dev.gatehouse.config.channel.EndpointDelta;
import dev.gatehouse.config.channel.EndpointDiff;
import dev.gatehouse.config.channel.ObjectDelta;
import dev.gatehouse.config.channel.ObjectDeltaChanges;
import dev.gatehouse.config.channel.ObjectDiff;
import dev.gatehouse.config.channel.SnapshotPush;
import dev.gatehouse.proxy.Fixtures;
import dev.gatehouse.proxy.ProxyServer;
import dev.gatehouse.proxy.routing.Router;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Figures, not a check: one route edit at the scale issue's size (10 000 routes, 5 000 services,
 * 2 000 upstreams with 50 000 targets, 10 000 consumers, shaped as controller's ScaleFixture and
 * bench/scale make them) applied by a real {@link SnapshotApplier} in front of a real
 * {@link ProxyServer}, from the delta's arrival to its ACK: median, min and max of 50 edits; then
 * the parts: the router compiled from scratch against patched, the whole validation against
 * {@link SnapshotIndex}'s; then one endpoint change (one upstream's first target replaced, as in a
 * rollout) the same way, with the content hash's part of it. Off by default; run with
 * {@code -Dgatehouse.scale=true -Dtest=ObjectDeltaScaleTest}. Single-process timings on a shared
 * machine: upper bounds, printed with the load average.
 */
@EnabledIfSystemProperty(named = "gatehouse.scale", matches = "true")
class ObjectDeltaScaleTest {
    private static final int ROUTES = 10_000;
    private static final int SERVICES = 5_000;
    private static final int UPSTREAMS = 2_000;
    private static final int TARGETS = 50_000;
    private static final int CONSUMERS = 10_000;
    private static final int EDITS = 50;

    @Test
    void figures() throws Exception {
        Snapshot full = fullSize();
        System.out.println("snapshot routes=" + full.routes().size() + " services=" + full.services().size() + " upstreams="
                + full.upstreams().size() + " consumers=" + full.consumers().size() + " load="
                + ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        ProxyServer proxy = ProxyServer.start(Fixtures.oneLoopConfig(), new SimpleMeterRegistry());
        try {
            SnapshotApplier applier = new SnapshotApplier(proxy, null);
            ContentHash.Digests digests = ContentHash.of(full, null);
            assertThat(applier.receive(new SnapshotPush(ChannelMessage.PROTOCOL, 1, digests.hash(), null, full)))
                    .isInstanceOf(Ack.class);
            Snapshot current = full;
            long[] nanos = new long[EDITS + 10];
            long[] routeHashes = new long[EDITS + 10];
            for (int n = 0; n < nanos.length; n++) {
                Snapshot next = edit(current, n);
                long h = System.nanoTime();
                ContentHash.Digests nextDigests = ContentHash.of(next, digests);
                routeHashes[n] = System.nanoTime() - h;
                ObjectDelta delta = ObjectDiff.between(current, current.version(), digests.hash(), next, nextDigests.hash(), null,
                        0.5);
                long start = System.nanoTime();
                ChannelMessage answer = applier.receive(delta);
                nanos[n] = System.nanoTime() - start;
                assertThat(answer).isInstanceOf(Ack.class);
                current = proxy.current();
                digests = nextDigests;
            }
            print("apply of one route edit (delta received to ACK)", Arrays.copyOfRange(nanos, 10, nanos.length));
            print("content hash after one route edit", Arrays.copyOfRange(routeHashes, 10, routeHashes.length));
            long[] endpoints = new long[EDITS + 10];
            long[] hashes = new long[EDITS + 10];
            for (int n = 0; n < endpoints.length; n++) {
                EndpointDelta.UpstreamTargets changed = rollout(current, n);
                Snapshot next = EndpointDiff.apply(current, new EndpointDelta(ChannelMessage.PROTOCOL, current.version(), "b",
                        current.version() + 1, "n", null, List.of(changed)));
                ContentHash.Digests base = digests;
                long h = System.nanoTime();
                ContentHash.Digests nextDigests = ContentHash.of(next, base);
                hashes[n] = System.nanoTime() - h;
                EndpointDelta delta = new EndpointDelta(ChannelMessage.PROTOCOL, current.version(), digests.hash(), next.version(),
                        nextDigests.hash(), null, List.of(changed));
                long start = System.nanoTime();
                ChannelMessage answer = applier.receive(delta);
                endpoints[n] = System.nanoTime() - start;
                assertThat(answer).isInstanceOf(Ack.class);
                current = proxy.current();
                digests = nextDigests;
            }
            print("apply of one endpoint change (delta received to ACK)", Arrays.copyOfRange(endpoints, 10, endpoints.length));
            print("content hash after one endpoint change", Arrays.copyOfRange(hashes, 10, hashes.length));
            long[] writes = new long[5];
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("scale-store");
            try {
                for (int n = 0; n < writes.length; n++) {
                    long start = System.nanoTime();
                    SnapshotStore.write(dir, current);
                    writes[n] = System.nanoTime() - start;
                }
            } finally {
                try (var files = java.nio.file.Files.list(dir)) {
                    for (java.nio.file.Path f : files.toList()) {
                        java.nio.file.Files.delete(f);
                    }
                }
                java.nio.file.Files.delete(dir);
            }
            print("the whole snapshot written to disk (after deltas: at most once a second)", writes);
            parts(current);
        } finally {
            proxy.close();
        }
    }

    /** The router compiled from scratch against patched, and the whole validation against the index's, per edit. */
    private static void parts(Snapshot base) {
        Router<String> router = Router.compile(base.routes(), Route::id);
        SnapshotIndex index = SnapshotIndex.of(base);
        index.validate(base, new SnapshotIndex.Changes(null, null, null, null, null));
        long[] scratch = new long[EDITS];
        long[] patched = new long[EDITS];
        long[] whole = new long[EDITS];
        long[] incremental = new long[EDITS];
        for (int n = 0; n < EDITS + 10; n++) {
            Snapshot next = edit(base, 1_000 + n);
            ObjectDelta delta = ObjectDiff.between(base, base.version(), "b", next, "n", null, 0.5);
            Router<String> before = router;
            long a = time(() -> Router.compile(next.routes(), r -> r.id()));
            long b = time(() -> Router.compile(next.routes(), before, (r, kept) -> kept != null ? kept : r.id()));
            long c = time(next::validate);
            long d = time(() -> index.validate(next, ObjectDeltaChanges.of(delta)));
            if (n >= 10) {
                scratch[n - 10] = a;
                patched[n - 10] = b;
                whole[n - 10] = c;
                incremental[n - 10] = d;
            }
        }
        print("router compiled from scratch", scratch);
        print("router patched", patched);
        print("whole validation", whole);
        print("validation through the index", incremental);
    }

    private static long time(Supplier<?> work) {
        long start = System.nanoTime();
        Object result = work.get();
        long took = System.nanoTime() - start;
        assertThat(result).isNotNull();
        return took;
    }

    private static void print(String what, long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        System.out.printf("%-50s median %8.2f ms  min %8.2f ms  max %8.2f ms  (%d runs)%n", what, sorted[sorted.length / 2] / 1e6,
                sorted[0] / 1e6, sorted[sorted.length - 1] / 1e6, sorted.length);
    }

    /** Upstream {@code u-k} (k spread over the list) with its first target replaced, as a pod of a rollout. */
    private static EndpointDelta.UpstreamTargets rollout(Snapshot s, int n) {
        Upstream u = s.upstreams().get((int) ((n * 7_919L) % s.upstreams().size()));
        List<Upstream.Target> targets = new ArrayList<>(u.targets());
        targets.set(0, new Upstream.Target("10.200." + (n >> 8 & 0xff) + "." + (n & 0xff), 8080, 100));
        return new EndpointDelta.UpstreamTargets(u.id(), targets);
    }

    /** Route {@code r-k} (k spread over the list) with its first path changed; the others the same instances. */
    static Snapshot edit(Snapshot s, int n) {
        List<Route> routes = new ArrayList<>(s.routes());
        int i = (int) ((n * 7_919L) % routes.size());
        Route r = routes.get(i);
        List<String> paths = new ArrayList<>(r.paths());
        paths.set(0, "/p" + r.id().substring(r.id().lastIndexOf('-') + 1) + "-e" + n);
        routes.set(i, new Route(r.id(), r.source(), r.service(), r.hosts(), paths, r.methods(), r.headers(), r.stripPath(),
                r.preserveHost(), r.priority(), r.keyAuth(), r.maxBodySize(), r.allowEncodedSlashes(), r.httpsRedirect(),
                r.websocketIdleTimeoutMillis(), r.queryParams(), r.filters(), r.directStatus(), r.directShare()));
        return new Snapshot(s.version() + 1, s.services(), routes, s.upstreams(), s.consumers(), s.certificates());
    }

    /**
     * The scale issue's cluster as the translator makes it: GatewayService {@code gs-j} → upstream
     * {@code u-(j mod 2000)} with 25 targets; route {@code r-k} → {@code gs-(k mod 5000)} on host
     * {@code h(k/10).example.com}, path {@code /p<k>}, every 20th with a regex path too, every
     * 10th with key-auth; consumer {@code c-m} with one key. Lists sorted by id, as the translator sorts them.
     */
    static Snapshot fullSize() {
        List<Upstream> upstreams = new ArrayList<>();
        int perUpstream = TARGETS / UPSTREAMS;
        for (int i = 0; i < UPSTREAMS; i++) {
            List<Upstream.Target> targets = new ArrayList<>();
            for (int t = 0; t < perUpstream; t++) {
                int a = i * perUpstream + t;
                targets.add(new Upstream.Target("10." + ((a >> 16) & 0xff) + "." + ((a >> 8) & 0xff) + "." + (a & 0xff), 8080, 100));
            }
            upstreams.add(new Upstream("default/u-" + i, source("Upstream", "u-" + i), Upstream.Algorithm.ROUND_ROBIN, null, null,
                    targets, null, 0));
        }
        List<Service> services = new ArrayList<>();
        for (int j = 0; j < SERVICES; j++) {
            services.add(new Service("default/gs-" + j, source("GatewayService", "gs-" + j), "default/u-" + (j % UPSTREAMS), null,
                    "/", null, Service.DEFAULT_RETRIES, null));
        }
        List<Route> routes = new ArrayList<>();
        for (int k = 0; k < ROUTES; k++) {
            List<String> paths = k % 20 == 0 ? List.of("/p" + k, "~/r" + k + "/\\d+$") : List.of("/p" + k);
            Route.KeyAuth keyAuth = k % 10 == 0 ? new Route.KeyAuth(null, true, false, false, null) : null;
            routes.add(new Route("default/r-" + k, source("GatewayRoute", "r-" + k), "default/gs-" + (k % SERVICES),
                    List.of("h" + (k / 10) + ".example.com"), paths, List.of(), Map.of(), true, false, 0, keyAuth, null, false,
                    false, null, null, null, null, null));
        }
        List<Consumer> consumers = new ArrayList<>();
        for (int m = 0; m < CONSUMERS; m++) {
            consumers.add(new Consumer("default/c-" + m, source("Consumer", "c-" + m), "user-" + m, null,
                    List.of(new Consumer.Credential("key-" + m, KeyDigest.of("bench-key-" + m + "-0123456789abcdef")))));
        }
        upstreams.sort(Comparator.comparing(Upstream::id));
        services.sort(Comparator.comparing(Service::id));
        routes.sort(Comparator.comparing(Route::id));
        consumers.sort(Comparator.comparing(Consumer::id));
        return new Snapshot(1, services, routes, upstreams, consumers);
    }

    private static Source source(String kind, String name) {
        return new Source(kind, "default", name, "uid-" + name, 1);
    }
}
