package dev.gatehouse.config;

import dev.gatehouse.config.channel.ChannelMessage;
import dev.gatehouse.config.channel.EndpointDelta;
import dev.gatehouse.config.channel.EndpointDiff;
import dev.gatehouse.config.channel.ObjectDelta;
import dev.gatehouse.config.channel.ObjectDiff;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.lifecycle.AfterContainer;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The content hash patched along a run of changes is the hash made from scratch of where the run
 * ends, and it tells apart any two different contents. Random snapshots (services, routes,
 * upstreams with targets, consumers) take random runs of changes, each replayed the way the proxy
 * does it: object deltas (objects added at any index, removed, edited, rebuilt equal, moved,
 * swapped) made by {@link ObjectDiff#between} and replayed by {@link ObjectDiff#apply}, and
 * endpoint deltas replayed by {@link EndpointDiff#apply}; each new hash made from the last one's
 * digests, as the proxy and the controller keep them. After every step it equals the hash of the
 * same content decoded afresh (no instance shared), and differs from the hash of that content with
 * any one object changed, removed, duplicated or moved; a proxy that missed a step ends on another hash.
 */
class ContentHashPropertyTest {
    private static final AtomicInteger STEPS = new AtomicInteger();
    private static final AtomicInteger ENDPOINT_STEPS = new AtomicInteger();
    private static final AtomicInteger REORDERS = new AtomicInteger();

    @Property(tries = 300)
    void patchedHashIsTheHashFromScratchAndTellsContentsApart(@ForAll long seed) {
        Random random = new Random(seed);
        int[] next = {0};
        Snapshot base = snapshot(random, next);
        ContentHash.Digests digests = ContentHash.of(base, null);
        for (int step = 0; step < 10; step++) {
            Snapshot patched;
            if (random.nextInt(4) == 0 && !base.upstreams().isEmpty()) {
                patched = EndpointDiff.apply(base, endpointDelta(random, base));
                ENDPOINT_STEPS.incrementAndGet();
            } else {
                Snapshot edited = edit(random, base, next);
                ObjectDelta delta = ObjectDiff.between(base, base.version(), digests.hash(), edited, "unused", null, 1.0);
                patched = delta == null ? edited : ObjectDiff.apply(base, delta);
                assertThat(patched).isEqualTo(edited);
            }
            ContentHash.Digests after = ContentHash.of(patched, digests);
            String fromScratch = ContentHash.of(SnapshotCodec.snapshotFromJson(SnapshotCodec.toJson(patched)), null).hash();
            assertThat(after.hash()).as("step %d of seed %d", step, seed).isEqualTo(fromScratch);
            assertThat(ContentHash.of(patched, null).hash()).isEqualTo(fromScratch);
            if (!patched.withVersion(0).equals(base.withVersion(0))) {
                assertThat(after.hash()).as("a change changes the hash").isNotEqualTo(digests.hash());
            }
            Snapshot other = differentByOne(random, patched, next);
            if (other != null) {
                assertThat(ContentHash.of(other, after).hash()).as("one object differs: step %d of seed %d", step, seed)
                        .isNotEqualTo(fromScratch)
                        .isEqualTo(ContentHash.of(other, null).hash());
            }
            if (random.nextInt(5) == 0 && !patched.withVersion(0).equals(base.withVersion(0))) {
                // a proxy that missed this step and applies the next one's changes to the old base
                Snapshot then = edit(random, patched, next);
                ObjectDelta skipped = ObjectDiff.between(patched, 0, "x", then, "y", null, 1.0);
                if (skipped != null) {
                    try {
                        Snapshot wrong = ObjectDiff.apply(base, skipped);
                        if (!wrong.withVersion(0).equals(then.withVersion(0))) {
                            assertThat(ContentHash.of(wrong, digests).hash()).isNotEqualTo(ContentHash.of(then, null).hash());
                        }
                    } catch (IllegalArgumentException e) {
                        // the delta does not even fit the old base: refused before any hash
                    }
                }
            }
            STEPS.incrementAndGet();
            base = patched;
            digests = after;
        }
    }

    /** The sum's arithmetic modulo 2^512, against BigInteger, carries and borrows across every word included. */
    @Property(tries = 500)
    void sumsAddAndSubtractModulo2To512(@ForAll long seed) {
        Random random = new Random(seed);
        BigInteger modulus = BigInteger.ONE.shiftLeft(64 * ContentHash.WORDS);
        long[] sum = words(random);
        BigInteger expected = big(sum);
        for (int i = 0; i < 20; i++) {
            long[] value = words(random);
            int sign = random.nextBoolean() ? 1 : -1;
            ContentHash.add(sum, value, sign);
            expected = expected.add(big(value).multiply(BigInteger.valueOf(sign))).mod(modulus);
            assertThat(big(sum)).isEqualTo(expected);
        }
    }

    @AfterContainer
    static void everyKindOfStepWasTaken() {
        assertThat(STEPS.get()).as("steps").isGreaterThan(2_000);
        assertThat(ENDPOINT_STEPS.get()).as("endpoint deltas").isGreaterThan(300);
        assertThat(REORDERS.get()).as("objects moved").isGreaterThan(300);
    }

    /** Words with runs of all ones and zeros, so carries and borrows cross words. */
    private static long[] words(Random random) {
        long[] w = new long[ContentHash.WORDS];
        for (int i = 0; i < w.length; i++) {
            int pick = random.nextInt(4);
            w[i] = pick == 0 ? -1L : pick == 1 ? 0 : random.nextLong();
        }
        return w;
    }

    private static BigInteger big(long[] words) {
        BigInteger b = BigInteger.ZERO;
        for (int i = words.length - 1; i >= 0; i--) {
            b = b.shiftLeft(64).or(new BigInteger(Long.toUnsignedString(words[i])));
        }
        return b;
    }

    private static Snapshot snapshot(Random random, int[] next) {
        List<Upstream> upstreams = new ArrayList<>();
        for (int i = 0, n = random.nextInt(6); i < n; i++) {
            upstreams.add(upstream("default/u" + next[0]++, random));
        }
        List<Service> services = new ArrayList<>();
        for (int i = 0, n = random.nextInt(6); i < n; i++) {
            services.add(service("default/s" + next[0]++, random));
        }
        List<Route> routes = new ArrayList<>();
        for (int i = 0, n = random.nextInt(30); i < n; i++) {
            routes.add(route("default/r" + next[0]++, random));
        }
        List<Consumer> consumers = new ArrayList<>();
        for (int i = 0, n = random.nextInt(4); i < n; i++) {
            consumers.add(consumer("default/c" + next[0]++, random));
        }
        return new Snapshot(1, services, routes, upstreams, consumers);
    }

    /** A few changes of routes, services or consumers, made as an incremental translator makes them. */
    private static Snapshot edit(Random random, Snapshot s, int[] next) {
        List<Route> routes = new ArrayList<>(s.routes());
        List<Service> services = new ArrayList<>(s.services());
        List<Consumer> consumers = new ArrayList<>(s.consumers());
        for (int e = 0, n = 1 + random.nextInt(3); e < n; e++) {
            switch (random.nextInt(9)) {
                case 0 -> routes.add(random.nextInt(routes.size() + 1), route("default/r" + next[0]++, random));
                case 1 -> {
                    if (!routes.isEmpty()) {
                        routes.remove(random.nextInt(routes.size()));
                    }
                }
                case 2 -> {
                    if (!routes.isEmpty()) {
                        int i = random.nextInt(routes.size());
                        routes.set(i, route(routes.get(i).id(), random));
                    }
                }
                case 3 -> { // rebuilt equal: a new instance, the same content
                    if (!routes.isEmpty()) {
                        int i = random.nextInt(routes.size());
                        routes.set(i, SnapshotCodec.fromJson(SnapshotCodec.toJson(routes.get(i)), Route.class));
                    }
                }
                case 4 -> {
                    if (routes.size() > 1) {
                        routes.add(random.nextInt(routes.size()), routes.remove(random.nextInt(routes.size())));
                        REORDERS.incrementAndGet();
                    }
                }
                case 5 -> {
                    if (routes.size() > 1) {
                        int i = random.nextInt(routes.size() - 1);
                        routes.add(i + 1, routes.remove(i));
                        REORDERS.incrementAndGet();
                    }
                }
                case 6 -> services.add(random.nextInt(services.size() + 1), service("default/s" + next[0]++, random));
                case 7 -> {
                    if (!services.isEmpty()) {
                        services.remove(random.nextInt(services.size()));
                    }
                }
                default -> {
                    if (!consumers.isEmpty() && random.nextBoolean()) {
                        consumers.remove(random.nextInt(consumers.size()));
                    } else {
                        consumers.add(random.nextInt(consumers.size() + 1), consumer("default/c" + next[0]++, random));
                    }
                }
            }
        }
        return new Snapshot(s.version() + 1, services, routes, s.upstreams(), consumers, s.certificates());
    }

    private static EndpointDelta endpointDelta(Random random, Snapshot base) {
        List<EndpointDelta.UpstreamTargets> changed = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
            Upstream u = base.upstreams().get(random.nextInt(base.upstreams().size()));
            if (seen.add(u.id())) {
                changed.add(new EndpointDelta.UpstreamTargets(u.id(), targets(random)));
            }
        }
        return new EndpointDelta(ChannelMessage.PROTOCOL, base.version(), "b", base.version() + 1, "n", null, changed);
    }

    /**
     * {@code s} with one object changed, removed, added twice or moved, or two objects of a kind
     * swapped; null when {@code s} has no object to change.
     */
    private static Snapshot differentByOne(Random random, Snapshot s, int[] next) {
        List<Route> routes = new ArrayList<>(s.routes());
        List<Upstream> upstreams = new ArrayList<>(s.upstreams());
        int op = random.nextInt(6);
        if (op == 0 && !upstreams.isEmpty()) {
            int i = random.nextInt(upstreams.size());
            Upstream u = upstreams.get(i);
            List<Upstream.Target> t = new ArrayList<>(u.targets());
            t.add(new Upstream.Target("10.9.9." + random.nextInt(250), 80, 1));
            upstreams.set(i, new Upstream(u.id(), u.source(), u.algorithm(), u.hashOn(), u.hashFallback(), t, u.healthChecks(),
                    u.slowStartMillis(), u.stickyCookie()));
        } else if (routes.isEmpty()) {
            return null;
        } else if (op == 1) {
            routes.remove(random.nextInt(routes.size()));
        } else if (op == 2) {
            routes.add(random.nextInt(routes.size() + 1), routes.get(random.nextInt(routes.size())));
        } else if (op == 3 && routes.size() > 1) {
            int i = random.nextInt(routes.size());
            int j = (i + 1 + random.nextInt(routes.size() - 1)) % routes.size();
            Route a = routes.get(i);
            routes.set(i, routes.get(j));
            routes.set(j, a);
        } else if (op == 4) {
            routes.add(random.nextInt(routes.size() + 1), route("default/r" + next[0]++, random));
        } else {
            int i = random.nextInt(routes.size());
            Route r = routes.get(i);
            routes.set(i, new Route(r.id(), r.source(), r.service(), r.hosts(), List.of("/other" + next[0]++), r.methods(),
                    r.headers(), r.stripPath(), r.preserveHost(), r.priority(), r.keyAuth(), r.maxBodySize(),
                    r.allowEncodedSlashes(), r.httpsRedirect(), r.websocketIdleTimeoutMillis()));
        }
        return new Snapshot(s.version(), s.services(), routes, upstreams, s.consumers(), s.certificates());
    }

    private static Route route(String id, Random random) {
        return new Route(id, new Source("GatewayRoute", "default", id.substring(8), "uid-" + id, 1 + random.nextInt(3)),
                "default/s" + random.nextInt(5), List.of("h" + random.nextInt(3) + ".example.com"),
                List.of("/p" + random.nextInt(4)), List.of(), Map.of(), random.nextBoolean(), false, 0, null);
    }

    private static Service service(String id, Random random) {
        return new Service(id, null, "default/u" + random.nextInt(5), Service.Protocol.HTTP, "/", null, random.nextInt(4),
                Service.Timeouts.DEFAULT);
    }

    private static Upstream upstream(String id, Random random) {
        return new Upstream(id, null, Upstream.Algorithm.ROUND_ROBIN, null, null, targets(random), null, 0);
    }

    private static List<Upstream.Target> targets(Random random) {
        List<Upstream.Target> t = new ArrayList<>();
        for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
            t.add(new Upstream.Target("10.0.0." + random.nextInt(6), 8080, 100));
        }
        return t;
    }

    private static Consumer consumer(String id, Random random) {
        return new Consumer(id, null, "user-" + id + "-" + random.nextInt(3), null,
                List.of(new Consumer.Credential("k", KeyDigest.of("key-" + id + "-" + random.nextInt(1000)))));
    }
}
