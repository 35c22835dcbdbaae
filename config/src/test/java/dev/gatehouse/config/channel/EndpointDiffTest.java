package dev.gatehouse.config.channel;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotCodec;
import dev.gatehouse.config.Upstream;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The one rule for endpoint deltas, and the {@code endpoints} message in JSON. */
class EndpointDiffTest {
    private static final Upstream.Target A = new Upstream.Target("10.0.0.1", 80, 100);
    private static final Upstream.Target B = new Upstream.Target("10.0.0.2", 80, 0);

    private static Snapshot withTargets(long version, List<Upstream.Target> targets) {
        Snapshot s = ChannelCodecTest.sample(version);
        Upstream u = s.upstreams().get(0);
        return new Snapshot(version, s.services(), s.routes(), List.of(EndpointDiff.withTargets(u, targets)), s.consumers());
    }

    @Test
    void onlyTargetsChangedGivesTheChangedUpstreamsWithTheirWholeNewLists() {
        List<EndpointDelta.UpstreamTargets> changed = EndpointDiff.between(withTargets(1, List.of(A)), withTargets(2, List.of(A, B)));
        assertThat(changed).containsExactly(new EndpointDelta.UpstreamTargets("default/echo", List.of(A, B)));
        assertThat(EndpointDiff.between(withTargets(1, List.of(A)), withTargets(2, List.of(A)))).isEmpty();
    }

    @Test
    void anythingElseChangedIsNoEndpointChange() {
        Snapshot base = withTargets(1, List.of(A));
        Upstream u = base.upstreams().get(0);
        Snapshot algorithm = new Snapshot(2, base.services(), base.routes(), List.of(new Upstream(u.id(), u.source(),
                Upstream.Algorithm.LEAST_CONNECTIONS, null, null, List.of(A, B), null, 0)), base.consumers());
        Snapshot noConsumers = new Snapshot(2, base.services(), base.routes(), base.upstreams(), List.of());
        Snapshot noUpstreams = new Snapshot(2, base.services(), base.routes(), List.of(), base.consumers());
        assertThat(EndpointDiff.between(base, algorithm)).as("an upstream setting besides targets").isNull();
        assertThat(EndpointDiff.between(base, noConsumers)).as("a consumer (keys travel whole)").isNull();
        assertThat(EndpointDiff.between(base, noUpstreams)).as("the set of upstreams").isNull();
    }

    @Test
    void applyingTheDeltaGivesTheNewSnapshotWithItsHash() {
        Snapshot v1 = withTargets(1, List.of(A));
        Snapshot v2 = withTargets(2, List.of(B, A));
        EndpointDelta delta = new EndpointDelta(ChannelMessage.PROTOCOL, 1, SnapshotCodec.contentHash(v1), 2,
                SnapshotCodec.contentHash(v2), "e1", EndpointDiff.between(v1, v2));
        Snapshot applied = EndpointDiff.apply(v1, delta);
        assertThat(applied).isEqualTo(v2);
        assertThat(SnapshotCodec.contentHash(applied)).isEqualTo(delta.hash());
        assertThat(EndpointDiff.apply(EndpointDiff.apply(v1, delta), delta)).as("idempotent").isEqualTo(v2);
    }

    @Test
    void aDeltaNamingAnUpstreamTheBaseLacksIsRefusedByName() {
        EndpointDelta delta = new EndpointDelta(ChannelMessage.PROTOCOL, 1, "h1", 2, "h2", null,
                List.of(new EndpointDelta.UpstreamTargets("default/gone", List.of(A))));
        assertThatThrownBy(() -> EndpointDiff.apply(withTargets(1, List.of(A)), delta))
                .hasMessage("upstreams: default/gone (expected: an upstream of the base snapshot 1)");
    }

    @Test
    void theMessageRoundTripsInOnePassAndInAnyFieldOrder() {
        EndpointDelta delta = new EndpointDelta(ChannelMessage.PROTOCOL, 1, "h1", 2, "h2", "e1",
                List.of(new EndpointDelta.UpstreamTargets("default/echo", List.of(A, B))));
        byte[] json = ChannelCodec.encode(delta);
        assertThat(new String(json, StandardCharsets.UTF_8)).isEqualTo("{\"type\":\"endpoints\",\"protocol\":1,\"baseVersion\":1,"
                + "\"baseHash\":\"h1\",\"version\":2,\"hash\":\"h2\",\"epoch\":\"e1\",\"upstreams\":[{\"id\":\"default/echo\","
                + "\"targets\":[{\"host\":\"10.0.0.1\",\"port\":80,\"weight\":100},{\"host\":\"10.0.0.2\",\"port\":80,\"weight\":0}]}]}");
        assertThat(ChannelCodec.decode(json)).isEqualTo(delta);
        assertThat(ChannelCodec.decode(new ByteArrayInputStream(json))).isEqualTo(delta);
        String reordered = "{\"upstreams\":[{\"id\":\"default/echo\",\"targets\":[{\"host\":\"10.0.0.1\",\"port\":80,\"weight\":100},"
                + "{\"host\":\"10.0.0.2\",\"port\":80,\"weight\":0}]}],\"version\":2,\"protocol\":1,\"type\":\"endpoints\","
                + "\"baseVersion\":1,\"baseHash\":\"h1\",\"hash\":\"h2\",\"epoch\":\"e1\"}";
        assertThat(ChannelCodec.decode(reordered.getBytes(StandardCharsets.UTF_8))).isEqualTo(delta);
        assertThat(ChannelCodec.decode(new ByteArrayInputStream(reordered.getBytes(StandardCharsets.UTF_8)))).isEqualTo(delta);
    }

    @Test
    void aSnapshotThatDoesNotBindStillTellsItsVersionAndHashForTheNack() {
        String json = "{\"type\":\"snapshot\",\"protocol\":1,\"version\":9,\"hash\":\"abc\",\"snapshot\":{\"version\":9,"
                + "\"upstreams\":[{\"id\":\"a/b\",\"algorithm\":\"QUANTUM\"}]}}";
        assertThatThrownBy(() -> ChannelCodec.decode(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8))))
                .isInstanceOfSatisfying(ChannelCodecException.class, e -> {
                    assertThat(e.type()).isEqualTo("snapshot");
                    assertThat(e.version()).isEqualTo(9);
                    assertThat(e.hash()).isEqualTo("abc");
                    assertThat(e.getMessage()).contains("QUANTUM");
                });
    }
}
