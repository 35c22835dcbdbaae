package dev.gatehouse.config;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-object content hash: one value for one content, however it was reached. */
class ContentHashTest {
    static Route route(String id, String path) {
        return new Route(id, new Source("GatewayRoute", "default", id.substring(id.indexOf('/') + 1), "uid-" + id, 1), "default/s",
                List.of(), List.of(path), List.of(), java.util.Map.of(), true, false, 0, null);
    }

    static Service service(String id, int retries) {
        return new Service(id, null, "default/u", Service.Protocol.HTTP, "/", null, retries, Service.Timeouts.DEFAULT);
    }

    static Snapshot snapshot(long version, List<Service> services, List<Route> routes) {
        return new Snapshot(version, services, routes, List.of(), List.of());
    }

    @Test
    void equalContentHasEqualHashWhateverTheVersionAndTheInstances() {
        Snapshot a = snapshot(1, List.of(service("default/s", 1)), List.of(route("default/a", "/a"), route("default/b", "/b")));
        Snapshot decoded = SnapshotCodec.snapshotFromJson(SnapshotCodec.toJson(a.withVersion(9)));
        assertThat(ContentHash.of(decoded, null).hash()).isEqualTo(ContentHash.of(a, null).hash()).hasSize(64);
        assertThat(ContentHash.of(decoded, ContentHash.of(a, null)).hash()).isEqualTo(ContentHash.of(a, null).hash());
    }

    @Test
    void orderAndKindAreInTheHash() {
        Route a = route("default/a", "/a");
        Route b = route("default/b", "/b");
        String ab = ContentHash.of(snapshot(1, List.of(), List.of(a, b)), null).hash();
        assertThat(ContentHash.of(snapshot(1, List.of(), List.of(b, a)), null).hash()).as("route order").isNotEqualTo(ab);
        Service s = service("default/s", 1);
        String serviceOnly = ContentHash.of(new Snapshot(1, List.of(s), List.of(), List.of(), List.of()), null).hash();
        assertThat(ContentHash.of(new Snapshot(1, List.of(), List.of(), List.of(), List.of()), null).hash())
                .isNotEqualTo(serviceOnly);
        assertThat(ContentHash.of(new Snapshot(1, List.of(s, s), List.of(), List.of(), List.of()), null).hash())
                .as("a count, not a set").isNotEqualTo(serviceOnly);
    }

    @Test
    void theLegacyHashIsTheWholeDocumentsAndDiffers() {
        Snapshot a = snapshot(1, List.of(service("default/s", 1)), List.of(route("default/a", "/a")));
        String legacy = ContentHash.legacy(a);
        assertThat(legacy).isEqualTo(java.util.HexFormat.of().formatHex(sha256(SnapshotCodec.toJson(a.withVersion(0)))));
        assertThat(legacy).isNotEqualTo(ContentHash.of(a, null).hash());
    }

    /** Random edits: the incremental hash equals the hash from scratch, and only new instances are serialised. */
    @Test
    void incrementalHashEqualsTheHashFromScratchAndCostsWhatChanged() {
        Random random = new Random(20261201);
        List<Route> routes = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            routes.add(route("default/r" + i, "/r" + i));
        }
        Snapshot current = snapshot(1, List.of(service("default/s", 1)), routes);
        ContentHash.Digests digests = ContentHash.of(current, null);
        for (int step = 0; step < 200; step++) {
            List<Route> next = new ArrayList<>(current.routes());
            int edits = 1 + random.nextInt(3);
            int fresh = 0;
            for (int e = 0; e < edits; e++) {
                int op = random.nextInt(3);
                if (op == 0 && !next.isEmpty()) {
                    next.remove(random.nextInt(next.size()));
                } else if (op == 1 && !next.isEmpty()) {
                    int i = random.nextInt(next.size());
                    next.set(i, route(next.get(i).id(), "/edited" + step + "-" + e));
                    fresh++;
                } else {
                    next.add(random.nextInt(next.size() + 1), route("default/n" + step + "-" + e, "/n" + step));
                    fresh++;
                }
            }
            Snapshot s = snapshot(step + 2, current.services(), next);
            ContentHash.Digests incremental = ContentHash.of(s, digests);
            assertThat(incremental.hash()).isEqualTo(ContentHash.of(s, null).hash());
            assertThat(incremental.computed()).as("objects serialised at step " + step).isLessThanOrEqualTo(fresh);
            digests = incremental;
            current = s;
        }
    }

    private static byte[] sha256(byte[] in) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(in);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
