package dev.gatehouse.controller.k8s;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.controller.publish.SnapshotVersions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The leader's view of every replica's proxies: a remote proxy is known by the content hash it
 * acknowledged, which the leader maps to its own newest version with that content.
 */
class ClusterFleetTest {
    /** The leader's own fleet: {@code synced} proxies, all at {@code ackedVersion}, no refusal. */
    record Local(int synced, long ackedVersion) implements ProxyFleet {
        @Override
        public int connected() {
            return synced;
        }

        @Override
        public int ackedAtLeast(long version) {
            return ackedVersion >= version ? synced : 0;
        }

        @Override
        public Map<String, String> rejections(long version) {
            return Map.of();
        }
    }

    final List<ReplicaReports.Remote> remotes = new ArrayList<>();
    final Map<String, Long> versions = Map.of("h1", 10L, "h2", 20L);
    final ClusterFleet fleet = new ClusterFleet(new Local(1, 20), () -> remotes, h -> versions.getOrDefault(h, 0L));

    @Test
    void aRemoteProxyCountsForTheVersionItsHashMapsTo() {
        remotes.add(new ReplicaReports.Remote("controller-b", new ReplicaReport.Builder().acked("h1").acked("h2").build()));
        assertThat(fleet.synced()).isEqualTo(3);
        assertThat(fleet.ackedAtLeast(10)).isEqualTo(3);
        assertThat(fleet.ackedAtLeast(11)).as("the proxy on h1 is at version 10").isEqualTo(2);
        assertThat(fleet.behind(10)).isNull();
        assertThat(fleet.behind(20)).isEqualTo("a proxy on replica controller-b is not yet on this config");
    }

    @Test
    void aHashTheLeaderNeverPublishedAcknowledgesNothingButTheProxyStillCounts() {
        remotes.add(new ReplicaReports.Remote("controller-b", new ReplicaReport.Builder().acked("other").acked(null).build()));
        assertThat(fleet.synced()).isEqualTo(3);
        assertThat(fleet.ackedAtLeast(1)).isEqualTo(1);
        assertThat(fleet.behind(1)).isEqualTo("a proxy on replica controller-b is not yet on this config");
    }

    @Test
    void aHashTheLeaderCannotMapIsCountedOnceHoweverOftenItIsAsked() {
        io.micrometer.core.instrument.simple.SimpleMeterRegistry registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        UnmappedHashes unmapped = new UnmappedHashes(registry, System::nanoTime);
        ClusterFleet counted = new ClusterFleet(new Local(1, 20), () -> remotes, h -> versions.getOrDefault(h, 0L), unmapped);
        remotes.add(new ReplicaReports.Remote("controller-b", new ReplicaReport.Builder().acked("h1").acked("old")
                .acked(null).refused("gone", "uid-1", "proxy p: x: y").build()));
        for (int i = 0; i < 3; i++) {
            assertThat(counted.ackedAtLeast(10)).isEqualTo(2);
            assertThat(counted.behind(10)).isEqualTo("a proxy on replica controller-b is not yet on this config");
            assertThat(counted.rejections(20)).isEmpty();
        }
        assertThat(registry.get("gatehouse.controller.replica.hashes_unmapped").counter().count())
                .as("'old' and 'gone', each once; h1 maps, the unknown bucket is not a hash").isEqualTo(2);
        assertThat(unmapped.count()).isEqualTo(2);
    }

    @Test
    void theLeadersOwnLaggingProxyIsToldFirst() {
        ClusterFleet lagging = new ClusterFleet(new Local(1, 10), () -> remotes, h -> versions.getOrDefault(h, 0L));
        remotes.add(new ReplicaReports.Remote("controller-b", new ReplicaReport.Builder().acked("h1").build()));
        assertThat(lagging.behind(20)).isEqualTo(ProxyFleet.NOT_EVERY_PROXY);
    }

    @Test
    void aRemoteRefusalCountsForTheVersionItsHashMapsToOnly() {
        remotes.add(new ReplicaReports.Remote("controller-b", new ReplicaReport.Builder()
                .refused("h2", "uid-1", "proxy p: spec.paths: no").refused("unknown", "uid-2", "proxy p: x: y").build()));
        assertThat(fleet.rejections(20)).containsExactly(Map.entry("uid-1", "proxy p: spec.paths: no"));
        assertThat(fleet.rejections(10)).isEmpty();
        assertThat(fleet.synced()).as("a proxy that only refused is not synced").isEqualTo(1);
    }

    @Test
    void theReportRoundTripsAndStaysWithinItsBounds() {
        ReplicaReport.Builder b = new ReplicaReport.Builder();
        for (int i = 0; i < ReplicaReport.MAX_HASHES + 5; i++) {
            b.acked("hash-" + i);
        }
        for (int i = 0; i < ReplicaReport.MAX_REFUSALS + 3; i++) {
            b.refused("h", "uid-" + i, "x".repeat(1000));
        }
        ReplicaReport r = b.build();
        assertThat(r.acked()).hasSize(ReplicaReport.MAX_HASHES + 1).containsEntry(ReplicaReport.UNKNOWN, 5);
        assertThat(r.synced()).isEqualTo(ReplicaReport.MAX_HASHES + 5);
        assertThat(r.refused().get("h")).hasSize(ReplicaReport.MAX_REFUSALS);
        assertThat(r.refused().get("h").values()).allSatisfy(m -> assertThat(m).hasSize(ReplicaReport.MAX_MESSAGE_CHARS + 1));
        assertThat(r.leftOut()).isEqualTo(3);
        assertThat(ReplicaReport.parse(r.toJson())).isEqualTo(r);
        assertThat(r.toJson().length()).as("an annotation far below the API server's 256 KiB").isLessThan(32 * 1024);
        assertThat(ReplicaReport.parse("{}")).isEqualTo(ReplicaReport.EMPTY);
        assertThatThrownBy(() -> ReplicaReport.parse("{\"acked\":[1]}")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a replica report");
        assertThatThrownBy(() -> ReplicaReport.parse("{\"acked\":{\"h\":-1}}")).hasMessageContaining("negative count");
    }

    @Test
    void theVersionsRememberEachHashsNewestVersion() {
        long[] clock = {100};
        SnapshotVersions v = new SnapshotVersions(() -> clock[0]);
        Snapshot a = withTarget(8001);
        Snapshot b = withTarget(8002);
        long first = v.next(a).version();
        String ha = v.lastHash();
        long second = v.next(b).version();
        String hb = v.lastHash();
        long third = v.next(a).version(); // back to a's content
        assertThat(v.versionOf(ha)).isEqualTo(third).isGreaterThan(first);
        assertThat(v.versionOf(hb)).isEqualTo(second);
        assertThat(v.versionOf("never")).isZero();
        assertThat(v.versionOf(null)).isZero();
    }

    private static Snapshot withTarget(int port) {
        return new Snapshot(0, List.of(), List.of(), List.of(new Upstream("shop/cart",
                new dev.gatehouse.config.Source("Upstream", "shop", "cart", "u-cart", 1), Upstream.Algorithm.ROUND_ROBIN, null,
                null, List.of(new Upstream.Target("10.0.0.1", port, 100)), null, 0)), List.of());
    }
}
