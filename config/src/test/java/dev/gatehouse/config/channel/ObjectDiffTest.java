package dev.gatehouse.config.channel;

import dev.gatehouse.config.ContentHash;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.Source;
import dev.gatehouse.config.Upstream;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The one rule for object deltas, and the {@code objects} message in JSON. */
class ObjectDiffTest {
    private static Route route(String id, String path, int priority) {
        return new Route(id, new Source("GatewayRoute", "default", id.substring(8), "uid-" + id, 1), "default/s",
                List.of(), List.of(path), List.of(), Map.of(), true, false, priority, null);
    }

    private static Service service(String id, int retries) {
        return new Service(id, null, "default/u", Service.Protocol.HTTP, "/", null, retries, Service.Timeouts.DEFAULT);
    }

    private static Upstream upstream(String id, int port) {
        return new Upstream(id, null, Upstream.Algorithm.ROUND_ROBIN, null, null, List.of(new Upstream.Target("10.0.0.1", port, 100)),
                null, 0);
    }

    private static Snapshot snapshot(long version, List<Service> services, List<Route> routes, List<Upstream> upstreams) {
        return new Snapshot(version, services, routes, upstreams, List.of());
    }

    private static ObjectDelta delta(Snapshot a, Snapshot b, double share) {
        return ObjectDiff.between(a, a.version(), ContentHash.of(a, null).hash(), b, ContentHash.of(b, null).hash(), "e1", share);
    }

    /** Random puts, removals, edits and moves of routes and services: replaying the delta gives the next list, order included. */
    @Test
    void replayingTheDeltaRebuildsTheExactSnapshotWhateverChanged() {
        Random random = new Random(4242);
        List<Route> routes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            routes.add(route("default/r" + i, "/r" + i, 0));
        }
        Snapshot current = snapshot(1, List.of(service("default/s", 1)), routes, List.of(upstream("default/u", 80)));
        for (int step = 0; step < 300; step++) {
            List<Route> next = new ArrayList<>(current.routes());
            for (int e = 0, n = 1 + random.nextInt(4); e < n; e++) {
                switch (random.nextInt(5)) {
                    case 0 -> { if (!next.isEmpty()) next.remove(random.nextInt(next.size())); }
                    case 1 -> { if (!next.isEmpty()) { int i = random.nextInt(next.size()); next.set(i, route(next.get(i).id(), "/e" + step, step)); } }
                    case 2 -> next.add(random.nextInt(next.size() + 1), route("default/n" + step + "x" + e, "/n", 0));
                    case 3 -> { if (next.size() > 1) Collections.swap(next, random.nextInt(next.size()), random.nextInt(next.size())); }
                    default -> { if (!next.isEmpty()) next.add(random.nextInt(next.size()), next.remove(random.nextInt(next.size()))); }
                }
            }
            List<Service> services = random.nextInt(4) == 0 ? List.of(service("default/s", step)) : current.services();
            Snapshot target = snapshot(step + 2, services, next, current.upstreams());
            ObjectDelta d = delta(current, target, 1.0);
            if (target.routes().equals(current.routes()) && services == current.services()) {
                assertThat(d).isNull();
                continue;
            }
            ObjectDelta wire = (ObjectDelta) ChannelCodec.decode(ChannelCodec.encode(d));
            assertThat(wire).isEqualTo(d);
            Snapshot replayed = ObjectDiff.apply(current, wire);
            assertThat(replayed).isEqualTo(target);
            assertThat(replayed.routes().stream().map(Route::id).toList()).isEqualTo(target.routes().stream().map(Route::id).toList());
            assertThat(ContentHash.of(replayed, null).hash()).isEqualTo(d.hash());
            for (Route r : replayed.routes()) { // kept routes are the base's instances, not copies
                boolean put = d.routes() != null && d.routes().put().stream().anyMatch(p -> p.object().id().equals(r.id()));
                if (!put) {
                    assertThat(current.routes().stream().anyMatch(c -> c == r)).as(r.id()).isTrue();
                }
            }
            current = replayed;
        }
    }

    /**
     * The diff passes over the same instances at either end by reference: random edits, moves,
     * adds, removals and equal copies (not the same instance) anywhere, the head and tail
     * included, give exactly the changes that comparing every object gives ({@link #everyObject}).
     */
    @Test
    void passingOverTheSameInstancesAtEitherEndGivesTheChangesOfComparingEveryObject() {
        Random random = new Random(77);
        for (int step = 0; step < 2_000; step++) {
            List<Route> before = new ArrayList<>();
            for (int i = 0, n = random.nextInt(12); i < n; i++) {
                before.add(route("default/r" + i, "/r" + i, 0));
            }
            List<Route> after = new ArrayList<>(before);
            for (int e = 0, n = random.nextInt(4); e < n; e++) {
                int size = after.size();
                switch (random.nextInt(6)) {
                    case 0 -> { if (size > 0) after.remove(random.nextInt(size)); }
                    case 1 -> { if (size > 0) { int i = random.nextInt(size); after.set(i, route(after.get(i).id(), "/e" + e, e)); } }
                    case 2 -> after.add(random.nextInt(size + 1), route("default/n" + e, "/n", 0));
                    case 3 -> { if (size > 1) Collections.swap(after, random.nextInt(size), random.nextInt(size)); }
                    case 4 -> { if (size > 0) { int i = random.nextInt(size); Route r = after.get(i);
                        after.set(i, route(r.id(), r.paths().get(0), r.priority())); } } // an equal copy
                    default -> { if (size > 0) after.add(random.nextInt(size), after.remove(random.nextInt(size))); }
                }
            }
            assertThat(ObjectDiff.diff(before, after, Route::id)).as("step %s: %s -> %s", step, before, after)
                    .isEqualTo(everyObject(before, after));
        }
    }

    /** The diff as it was before it passed over the ends: every object of both lists indexed and compared. */
    private static ObjectDelta.Changes<Route> everyObject(List<Route> before, List<Route> after) {
        Map<String, Integer> index = new java.util.HashMap<>();
        for (int i = 0; i < before.size(); i++) {
            index.put(before.get(i).id(), i);
        }
        List<ObjectDelta.Put<Route>> put = new ArrayList<>();
        java.util.Set<String> present = new java.util.HashSet<>();
        int lastKept = -1;
        for (int i = 0; i < after.size(); i++) {
            Route o = after.get(i);
            present.add(o.id());
            Integer at = index.get(o.id());
            if (at != null && at > lastKept && before.get(at).equals(o)) {
                lastKept = at;
            } else {
                put.add(new ObjectDelta.Put<>(i, o));
            }
        }
        List<String> removed = before.stream().map(Route::id).filter(r -> !present.contains(r)).toList();
        return put.isEmpty() && removed.isEmpty() ? null : new ObjectDelta.Changes<>(after.size(), put, removed);
    }

    @Test
    void aRouteEditCarriesTheRouteAloneAtItsIndex() {
        Snapshot a = snapshot(1, List.of(service("default/s", 1)), List.of(route("default/r0", "/0", 0), route("default/r1", "/1", 0),
                route("default/r2", "/2", 0)), List.of(upstream("default/u", 80)));
        Route edited = route("default/r1", "/one", 0);
        Snapshot b = snapshot(2, a.services(), List.of(a.routes().get(0), edited, a.routes().get(2)), a.upstreams());
        ObjectDelta d = delta(a, b, 0.5);
        assertThat(d.services()).isNull();
        assertThat(d.upstreams()).isNull();
        assertThat(d.routes()).isEqualTo(new ObjectDelta.Changes<>(3, List.of(new ObjectDelta.Put<>(1, edited)), List.of()));
        assertThat(d.changedKinds()).isEqualTo("routes");
        assertThat(EndpointDiff.fromObjects(a, d)).as("not endpoint-only").isNull();
        String json = new String(ChannelCodec.encode(d), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(json).startsWith("{\"type\":\"objects\",\"protocol\":1,\"baseVersion\":1,").contains("\"routes\":{\"size\":3,\"put\":[{\"at\":1,\"object\":{\"id\":\"default/r1\"")
                .doesNotContain("default/r0").doesNotContain("\"services\"");
    }

    @Test
    void targetsAloneAreAnEndpointChangeAndMoreThanTheShareGoesWhole() {
        Snapshot a = snapshot(1, List.of(), List.of(), List.of(upstream("default/u", 80), upstream("default/v", 80)));
        Snapshot b = snapshot(2, List.of(), List.of(), List.of(a.upstreams().get(0), upstream("default/v", 81)));
        ObjectDelta d = delta(a, b, 0.5);
        assertThat(EndpointDiff.fromObjects(a, d)).isEqualTo(EndpointDiff.between(a, b)).hasSize(1);
        Snapshot both = snapshot(2, List.of(), List.of(), List.of(upstream("default/u", 81), upstream("default/v", 81)));
        assertThat(delta(a, both, 0.5)).as("2 of 2 objects changed").isNull();
        assertThat(delta(a, a.withVersion(2), 0.5)).as("nothing changed").isNull();
    }

    @Test
    void aDeltaThatDoesNotFitTheBaseIsRefusedByKindAndField() {
        Snapshot a = snapshot(1, List.of(), List.of(route("default/r0", "/0", 0)), List.of());
        ObjectDelta removesUnknown = new ObjectDelta(ChannelMessage.PROTOCOL, 1, "h", 2, "h2", null, null,
                new ObjectDelta.Changes<>(0, List.of(), List.of("default/nope")), null, null, null);
        assertThatThrownBy(() -> ObjectDiff.apply(a, removesUnknown)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("routes.removed").hasMessageContaining("only ids of the base snapshot");
        ObjectDelta wrongSize = new ObjectDelta(ChannelMessage.PROTOCOL, 1, "h", 2, "h2", null, null,
                new ObjectDelta.Changes<>(3, List.of(new ObjectDelta.Put<>(0, route("default/r1", "/1", 0))), List.of()), null, null, null);
        assertThatThrownBy(() -> ObjectDiff.apply(a, wrongSize)).hasMessageContaining("routes.size: 3 (expected: 2");
        ObjectDelta descending = new ObjectDelta(ChannelMessage.PROTOCOL, 1, "h", 2, "h2", null, null,
                new ObjectDelta.Changes<>(3, List.of(new ObjectDelta.Put<>(1, route("default/r1", "/1", 0)),
                        new ObjectDelta.Put<>(0, route("default/r2", "/2", 0))), List.of()), null, null, null);
        assertThatThrownBy(() -> ObjectDiff.apply(a, descending)).hasMessageContaining("routes.put[default/r2].at: 0 (expected: ascending");
    }
}
