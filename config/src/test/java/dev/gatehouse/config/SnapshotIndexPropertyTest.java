package dev.gatehouse.config;

import dev.gatehouse.config.channel.ObjectDelta;
import dev.gatehouse.config.channel.ObjectDeltaChanges;
import dev.gatehouse.config.channel.ObjectDiff;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Validating a snapshot patched by an object delta through the base's {@link SnapshotIndex}
 * finds exactly what validating the whole snapshot finds: the same problems (object, field,
 * message) in the same order, so the same verdict and the same first error. Random valid bases
 * (upstreams, services naming them, routes naming services and anonymous consumers, consumers
 * with keys, certificates) take random runs of changes of every kind, valid or not: objects
 * removed while others still name them, added or edited with dangling references, bad regexes,
 * paths, ports, weights, retries, a key already claimed in the namespace, a blank username, a
 * certificate name served twice or ids out of order. Each step's delta is made and replayed by
 * the real {@link ObjectDiff}; a step found valid becomes the next base, its index the base's
 * {@link SnapshotIndex#next}.
 */
class SnapshotIndexPropertyTest {
    private static final AtomicInteger VALID = new AtomicInteger();
    private static final AtomicInteger INVALID = new AtomicInteger();
    private static final String[] PATHS = {"/", "/a", "=/a/b", "~/a/\\d+", "~/b(", "nope", "/c/"};

    @Property(tries = 300)
    void patchedSnapshotValidatesAsTheWholeDoes(@ForAll long seed) {
        Random random = new Random(seed);
        int[] next = {0};
        Snapshot base = validBase(random, next);
        assertThat(base.validate()).as("the generated base").isEmpty();
        SnapshotIndex index = SnapshotIndex.of(base);
        for (int step = 0; step < 8; step++) {
            Snapshot edited = edit(random, base, next);
            ObjectDelta delta = ObjectDiff.between(base, base.version(), "base", edited, "next", null, 1.0);
            if (delta == null) {
                continue;
            }
            Snapshot patched = ObjectDiff.apply(base, delta);
            List<Problem> whole = patched.validate();
            List<Problem> incremental = index.validate(patched, ObjectDeltaChanges.of(delta));
            assertThat(incremental).as("step %d of seed %d", step, seed).isEqualTo(whole);
            if (whole.isEmpty()) {
                VALID.incrementAndGet();
                index = index.next(patched, ObjectDeltaChanges.of(delta));
                base = patched;
            } else {
                INVALID.incrementAndGet();
            }
        }
    }

    @AfterContainer
    static void bothVerdictsWereReached() {
        assertThat(VALID.get()).as("valid steps").isGreaterThan(100);
        assertThat(INVALID.get()).as("invalid steps").isGreaterThan(100);
    }

    private static Snapshot validBase(Random random, int[] next) {
        List<Upstream> upstreams = new ArrayList<>();
        for (int i = 0, n = 1 + random.nextInt(5); i < n; i++) {
            upstreams.add(upstream("default/u" + next[0]++, 9000 + i, 100));
        }
        List<Service> services = new ArrayList<>();
        for (int i = 0, n = 1 + random.nextInt(5); i < n; i++) {
            services.add(service("default/s" + next[0]++, pick(random, upstreams).id(), 3));
        }
        List<Consumer> consumers = new ArrayList<>();
        for (int i = 0, n = random.nextInt(5); i < n; i++) {
            String id = "c" + next[0]++;
            consumers.add(consumer(id, random.nextBoolean() ? "default" : "other", "user-" + id, "key-" + id));
        }
        List<Route> routes = new ArrayList<>();
        for (int i = 0, n = 2 + random.nextInt(10); i < n; i++) {
            String anonymous = consumers.isEmpty() || random.nextInt(3) > 0 ? null : pick(random, consumers).id();
            routes.add(route("default/r" + next[0]++, random.nextInt(5) == 0 ? null : pick(random, services).id(),
                    random.nextBoolean() ? "/" : "=/x", anonymous));
        }
        List<Certificate> certificates = new ArrayList<>();
        if (random.nextBoolean()) {
            certificates.add(certificate("a-cert", "a.test"));
            certificates.add(certificate("b-cert", "b.test"));
        }
        return new Snapshot(1, services, routes, upstreams, consumers, certificates);
    }

    /** A few random changes of any kinds, valid or not; unchanged objects stay the same instances. */
    private static Snapshot edit(Random random, Snapshot s, int[] next) {
        List<Upstream> upstreams = new ArrayList<>(s.upstreams());
        List<Service> services = new ArrayList<>(s.services());
        List<Route> routes = new ArrayList<>(s.routes());
        List<Consumer> consumers = new ArrayList<>(s.consumers());
        List<Certificate> certificates = new ArrayList<>(s.certificates());
        for (int c = 0, n = 1 + random.nextInt(3); c < n; c++) {
            boolean bad = random.nextInt(4) == 0;
            switch (random.nextInt(5)) {
                case 0 -> change(random, upstreams, "default/u" + next[0]++, Upstream::id, id -> upstream(id, bad ? 0 : 9100,
                        random.nextInt(6) == 0 ? -1 : 50));
                case 1 -> change(random, services, "default/s" + next[0]++, Service::id, id -> service(id,
                        bad || upstreams.isEmpty() ? "default/gone" : pick(random, upstreams).id(), random.nextInt(6) == 0 ? -1 : 2));
                case 2 -> change(random, routes, "default/r" + next[0]++, Route::id, id -> route(id,
                        bad || services.isEmpty() ? (random.nextBoolean() ? "default/gone" : null) : pick(random, services).id(),
                        PATHS[random.nextInt(PATHS.length)],
                        consumers.isEmpty() || random.nextBoolean() ? null : bad ? "gone" : pick(random, consumers).id()));
                case 3 -> change(random, consumers, "c" + next[0]++, Consumer::id, id -> consumer(id,
                        random.nextBoolean() ? "default" : "other", bad && random.nextBoolean() ? " " : "user-" + id,
                        bad && !consumers.isEmpty() ? "key-" + pick(random, consumers).id() : "key-" + id));
                default -> change(random, certificates, (bad ? "0" : "z") + "-cert" + next[0]++, Certificate::id,
                        id -> certificate(id, bad ? "a.test" : id + ".test"));
            }
        }
        return new Snapshot(s.version() + 1, services, routes, upstreams, consumers, certificates);
    }

    /** Removes, adds (at any index) or replaces (at its index or another) one object. */
    private static <T> void change(Random random, List<T> list, String newId, Function<T, String> id, Function<String, T> make) {
        int kind = list.isEmpty() ? 0 : random.nextInt(4);
        switch (kind) {
            case 0 -> list.add(random.nextInt(list.size() + 1), make.apply(newId));
            case 1 -> list.remove(random.nextInt(list.size()));
            case 2 -> {
                int i = random.nextInt(list.size());
                list.set(i, make.apply(id.apply(list.get(i))));
            }
            default -> {
                T moved = list.remove(random.nextInt(list.size()));
                list.add(random.nextInt(list.size() + 1), make.apply(id.apply(moved)));
            }
        }
    }

    private static <T> T pick(Random random, List<T> list) {
        return list.get(random.nextInt(list.size()));
    }

    private static Upstream upstream(String id, int port, int weight) {
        return new Upstream(id, null, Upstream.Algorithm.ROUND_ROBIN, null, null,
                List.of(new Upstream.Target("127.0.0.1", port, weight)), null, 0);
    }

    private static Service service(String id, String upstream, int retries) {
        return new Service(id, new Source("GatewayService", "default", id, "uid-" + id, 1), upstream, null, "/", null, retries,
                null);
    }

    private static Route route(String id, String service, String path, String anonymous) {
        Route.KeyAuth keyAuth = anonymous == null ? null : new Route.KeyAuth(null, true, false, false, anonymous);
        return new Route(id, new Source("GatewayRoute", "default", id, "uid-" + id, 1), service, List.of(), List.of(path),
                List.of(), Map.of(), false, false, 0, keyAuth, null, false, false, null, null, null, null, null);
    }

    private static Consumer consumer(String id, String namespace, String username, String key) {
        return new Consumer(id, new Source("Consumer", namespace, id, "uid-" + id, 1), username, null,
                List.of(new Consumer.Credential("cred-" + id, KeyDigest.of(key))));
    }

    private static Certificate certificate(String id, String name) {
        return new Certificate(id, List.of(name), "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n",
                "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n", 0, false);
    }
}
