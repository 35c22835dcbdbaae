package dev.gatehouse.controller.translate;

import dev.gatehouse.config.SnapshotCodec;
import io.fabric8.kubernetes.api.model.HasMetadata;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kept state is the informer caches' state: for random sequences of adds, updates, deletes,
 * re-adds under a new uid (with the delete seen or missed), replays of any earlier event (stale
 * resourceVersions, events of deleted incarnations) and relists, fed to a {@link ClusterStore} as
 * an informer would, after every step the store's state holds exactly the objects the API server
 * holds, and its incremental translation (one {@link IncrementalTranslator} across all steps, as
 * the controller keeps) gives the snapshot, byte for byte, and the statuses of a full translation
 * of a state built from the caches.
 */
class ClusterStorePropertyTest {
    /** The kinds {@link ClusterStore} keeps: {@link IncrementalPropertyTest#KINDS} but Ingress. */
    private static final int KINDS = 7;
    private static final ClusterStore.Kind[] STORE_KINDS = {ClusterStore.Kind.UPSTREAM, ClusterStore.Kind.GATEWAY_SERVICE,
            ClusterStore.Kind.GATEWAY_ROUTE, ClusterStore.Kind.CONSUMER, ClusterStore.Kind.SERVICE,
            ClusterStore.Kind.ENDPOINT_SLICE, ClusterStore.Kind.SECRET};

    enum Action { PUT, DELETE, RECREATE, RECREATE_DELETE_MISSED, REPLAY, RELIST }

    /** One step: an action on the object of kind, namespace, name (variant: its fields); replay: which past event. */
    record Step(Action action, int kind, int ns, int name, int variant, int pick) {
    }

    /** An object the API server holds: the event that shaped it, its uid, its resourceVersion and the object. */
    private record Live(IncrementalPropertyTest.Event shape, String uid, HasMetadata object) {
    }

    /** An event as delivered: to a feed, an upsert or a delete, of this object. */
    private record Delivered(int kind, boolean delete, HasMetadata object) {
    }

    private long revision;
    private long uids;

    @Property(tries = 200)
    void keptStateTranslatesAsTheCaches(@ForAll("steps") List<Step> steps) {
        ClusterStore store = new ClusterStore();
        ClusterStore.Feed[] feeds = new ClusterStore.Feed[KINDS];
        for (int k = 0; k < KINDS; k++) {
            feeds[k] = store.feed(STORE_KINDS[k]);
        }
        Map<String, Live> server = new LinkedHashMap<>();
        List<Delivered> history = new ArrayList<>();
        IncrementalTranslator incremental = new IncrementalTranslator(Integer.MAX_VALUE);
        for (Step s : steps) {
            IncrementalPropertyTest.Event shape = new IncrementalPropertyTest.Event(s.kind, s.ns, s.name, s.variant, false);
            // by the object's own name: one shape (a Secret of index 2, variant 4) is named after consumer c0's generated key
            String key = s.kind + "/" + s.ns + "/" + IncrementalPropertyTest.make(shape).getMetadata().getName();
            Live held = server.get(key);
            switch (s.action) {
                case PUT -> deliver(store, feeds, history, s.kind, false,
                        put(server, key, shape, held == null ? newUid() : held.uid).object);
                case DELETE -> {
                    if (held != null) {
                        server.remove(key);
                        deliver(store, feeds, history, s.kind, true, copy(held.shape, held.uid));
                    }
                }
                case RECREATE, RECREATE_DELETE_MISSED -> {
                    if (held != null) {
                        server.remove(key);
                        HasMetadata gone = copy(held.shape, held.uid);
                        if (s.action == Action.RECREATE) {
                            deliver(store, feeds, history, s.kind, true, gone);
                        }
                    }
                    deliver(store, feeds, history, s.kind, false, put(server, key, shape, newUid()).object);
                }
                case REPLAY -> {
                    if (!history.isEmpty()) {
                        Delivered d = history.get(s.pick % history.size());
                        ClusterStore.Outcome o = d.delete ? store.delete(feeds[d.kind], d.object) : store.upsert(feeds[d.kind], d.object);
                        assertThat(o).as("a replay of %s %s", d.delete ? "a delete of" : "an upsert of", d.object.getMetadata())
                                .isNotEqualTo(ClusterStore.Outcome.APPLIED);
                    }
                }
                case RELIST -> {
                    List<HasMetadata> cache = new ArrayList<>();
                    for (Live l : server.values()) {
                        if (STORE_KINDS[s.kind].type.isInstance(l.object)) {
                            cache.add(l.object);
                        }
                    }
                    assertThat(store.replace(feeds[s.kind], cache)).as("a relist after events finds nothing to correct").isZero();
                }
            }
            List<HasMetadata> caches = new ArrayList<>();
            server.values().forEach(l -> caches.add(l.object));
            ClusterState fromCaches = IncrementalPropertyTest.state(caches);
            ClusterState kept = store.state();
            assertThat(all(kept)).as("objects after %s", s).containsExactlyInAnyOrderElementsOf(caches);
            for (HasMetadata o : all(kept)) {
                assertThat(caches.stream().anyMatch(c -> c == o)).as("%s is the cached object itself", o.getMetadata()).isTrue();
            }
            Translation full = Translator.translate(fromCaches, IngressSelection.DEFAULT, GatewaySelection.DEFAULT,
                    IncrementalPropertyTest.TLS);
            Translation inc = incremental.translate(kept, IngressSelection.DEFAULT, GatewaySelection.DEFAULT,
                    IncrementalPropertyTest.TLS);
            assertThat(new String(SnapshotCodec.toJson(inc.snapshot()), StandardCharsets.UTF_8)).as("snapshot after %s", s)
                    .isEqualTo(new String(SnapshotCodec.toJson(full.snapshot()), StandardCharsets.UTF_8));
            assertThat(inc.statuses()).as("statuses after %s", s).isEqualTo(full.statuses());
            assertThat(kept.servicesReferenced()).as("Services referenced after %s", s).isEqualTo(fromCaches.servicesReferenced());
        }
        assertThat(incremental.mismatches()).isZero();
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<Action> action = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(8, Arbitraries.just(Action.PUT)), net.jqwik.api.Tuple.of(2, Arbitraries.just(Action.DELETE)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(Action.RECREATE)),
                net.jqwik.api.Tuple.of(1, Arbitraries.just(Action.RECREATE_DELETE_MISSED)),
                net.jqwik.api.Tuple.of(3, Arbitraries.just(Action.REPLAY)), net.jqwik.api.Tuple.of(1, Arbitraries.just(Action.RELIST)));
        return Combinators.combine(action, Arbitraries.integers().between(0, KINDS - 1), Arbitraries.integers().between(0, 1),
                Arbitraries.integers().between(0, 2), Arbitraries.integers().between(0, 7), Arbitraries.integers().between(0, 1_000))
                .as(Step::new).list().ofMinSize(1).ofMaxSize(40);
    }

    private Live put(Map<String, Live> server, String key, IncrementalPropertyTest.Event shape, String uid) {
        Live l = new Live(shape, uid, copy(shape, uid));
        server.put(key, l);
        return l;
    }

    /** A new object of {@code shape} and {@code uid} at the next resourceVersion (every write, a delete too, gets one). */
    private HasMetadata copy(IncrementalPropertyTest.Event shape, String uid) {
        HasMetadata o = IncrementalPropertyTest.make(shape);
        o.getMetadata().setUid(uid);
        o.getMetadata().setResourceVersion(Long.toString(++revision));
        return o;
    }

    private String newUid() {
        return "uid-" + ++uids;
    }

    private static void deliver(ClusterStore store, ClusterStore.Feed[] feeds, List<Delivered> history, int kind, boolean delete,
                                HasMetadata object) {
        ClusterStore.Outcome o = delete ? store.delete(feeds[kind], object) : store.upsert(feeds[kind], object);
        assertThat(o).as("a fresh %s of %s", delete ? "delete" : "upsert", object.getMetadata()).isEqualTo(ClusterStore.Outcome.APPLIED);
        history.add(new Delivered(kind, delete, object));
    }

    private static List<HasMetadata> all(ClusterState s) {
        List<HasMetadata> out = new ArrayList<>();
        out.addAll(s.upstreams());
        out.addAll(s.services());
        out.addAll(s.routes());
        out.addAll(s.consumers());
        out.addAll(s.kubeServices());
        out.addAll(s.endpointSlices());
        out.addAll(s.secrets());
        return out;
    }
}
