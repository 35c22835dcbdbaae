package dev.gatehouse.config.channel;

import dev.gatehouse.config.Problem;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotCodec;
import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.KeyDigest;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.config.Source;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChannelCodecTest {

    static Snapshot sample(long version) {
        Source us = new Source("Upstream", "default", "echo", "u-1", 1);
        Source ss = new Source("GatewayService", "default", "echo", "s-1", 2);
        Source rs = new Source("GatewayRoute", "default", "echo", "r-1", 3);
        Source cs = new Source("Consumer", "default", "alice", "c-1", 1);
        return new Snapshot(version,
                List.of(new Service("default/echo", ss, "default/echo", Service.Protocol.HTTP, "/", null, 2,
                        Service.Timeouts.DEFAULT)),
                List.of(new Route("default/echo", rs, "default/echo", List.of("api.example.com"),
                        List.of("/echo"), List.of("GET"), Map.of("x-version", List.of("v1")),
                        false, false, 0, new Route.KeyAuth(null, true, true, true, null))),
                List.of(new Upstream("default/echo", us, Upstream.Algorithm.ROUND_ROBIN, null, null,
                        List.of(new Upstream.Target("127.0.0.1", 9001, 100)), null, 0)),
                List.of(new Consumer("c-1", cs, "alice", null,
                        List.of(new Consumer.Credential("sec-1", KeyDigest.of("alice-key"))))));
    }

    private static ChannelMessage roundTrip(ChannelMessage m) {
        byte[] json = ChannelCodec.encode(m);
        ChannelMessage back = ChannelCodec.decode(json);
        assertThat(ChannelCodec.encode(back)).isEqualTo(json);
        assertThat(ChannelCodec.decode(new ByteArrayInputStream(json))).isEqualTo(back);
        return back;
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void helloRoundTripsAndStartsWithItsType() {
        Hello hello = Hello.of("proxy-0", 7, "abc");
        assertThat(roundTrip(hello)).isEqualTo(hello);
        assertThat(new String(ChannelCodec.encode(hello), StandardCharsets.UTF_8))
                .isEqualTo("{\"type\":\"hello\",\"protocol\":1,\"proxyId\":\"proxy-0\",\"lastVersion\":7,\"lastHash\":\"abc\"}");
    }

    @Test
    void helloWithoutASnapshotLeavesTheHashOut() {
        Hello hello = Hello.of("proxy-0", 0, null);
        assertThat(roundTrip(hello)).isEqualTo(hello);
        assertThat(new String(ChannelCodec.encode(hello), StandardCharsets.UTF_8)).doesNotContain("lastHash");
    }

    @Test
    void snapshotPushRoundTripsWithAnEqualSnapshot() {
        Snapshot s = sample(42);
        SnapshotPush push = SnapshotPush.of(s);
        assertThat(push.version()).isEqualTo(42);
        assertThat(push.hash()).isEqualTo(SnapshotCodec.contentHash(s));
        SnapshotPush back = (SnapshotPush) roundTrip(push);
        assertThat(back).isEqualTo(push);
        assertThat(back.snapshot()).isEqualTo(s);
        assertThat(SnapshotCodec.contentHash(back.snapshot())).isEqualTo(push.hash());
    }

    @Test
    void theEpochTravelsInHelloAndPushAndIsLeftOutWhenNull() {
        Hello hello = Hello.of("proxy-0", 7, "abc", "9f3a1c0d22b4e5f6");
        assertThat(roundTrip(hello)).isEqualTo(hello);
        assertThat(new String(ChannelCodec.encode(hello), StandardCharsets.UTF_8)).endsWith(",\"lastEpoch\":\"9f3a1c0d22b4e5f6\"}");
        SnapshotPush push = SnapshotPush.of(sample(3), "9f3a1c0d22b4e5f6");
        assertThat(roundTrip(push)).isEqualTo(push);
        assertThat(new String(ChannelCodec.encode(push), StandardCharsets.UTF_8))
                .contains("\"hash\":\"" + push.hash() + "\",\"epoch\":\"9f3a1c0d22b4e5f6\",\"snapshot\":");
        assertThat(new String(ChannelCodec.encode(SnapshotPush.of(sample(3))), StandardCharsets.UTF_8)).doesNotContain("epoch");
    }

    @Test
    void aMessageWithoutEpochFromAnOlderPeerStillReads() {
        String json = new String(ChannelCodec.encode(SnapshotPush.of(sample(5))), StandardCharsets.UTF_8);
        assertThat(((SnapshotPush) ChannelCodec.decode(utf8(json))).epoch()).isNull();
        assertThat(((Hello) ChannelCodec.decode(utf8("{\"type\":\"hello\",\"protocol\":1,\"proxyId\":\"p\",\"lastVersion\":0}")))
                .lastEpoch()).isNull();
    }

    @Test
    void aBadEpochIsRefusedNamingTheField() {
        String json = new String(ChannelCodec.encode(SnapshotPush.of(sample(5), "e1")), StandardCharsets.UTF_8);
        assertThatThrownBy(() -> ChannelCodec.decode(utf8(json.replace("\"e1\"", "\"e 1\""))))
                .isInstanceOf(ChannelCodecException.class)
                .hasMessageContaining("snapshot.epoch: character 32 at 1 (expected: only 0-9, a-z, A-Z, '.', '_', '-')")
                .satisfies(e -> assertThat(((ChannelCodecException) e).version()).isEqualTo(5));
        assertThatThrownBy(() -> Hello.of("p", 0, null, "x".repeat(65)))
                .hasMessage("hello.lastEpoch: 65 characters (expected: 1..64)");
        assertThat(Epochs.random()).matches("[0-9a-f]{16}").isNotEqualTo(Epochs.random());
    }

    @Test
    void ackAndNackRoundTrip() {
        Ack ack = Ack.of(3, "h3");
        assertThat(roundTrip(ack)).isEqualTo(ack);
        Nack nack = Nack.of(4, "h4", List.of(
                new ObjectError("r-1", 3, "GatewayRoute", "default", "profile", "spec.paths[1]", "bad regex"),
                ObjectError.snapshotWide("hash", "does not match")));
        assertThat(roundTrip(nack)).isEqualTo(nack);
    }

    @Test
    void objectErrorFromAProblemKeepsUidAndGeneration() {
        Source src = new Source("Upstream", "shop", "cart", "u-9", 12);
        ObjectError e = ObjectError.of(new Problem(src, "spec.targets[1].weight", "70000 (expected: 0..65535)"));
        assertThat(e).isEqualTo(new ObjectError("u-9", 12, "Upstream", "shop", "cart",
                "spec.targets[1].weight", "70000 (expected: 0..65535)"));
        assertThat(e.isSnapshotWide()).isFalse();
        assertThat(e.toString()).isEqualTo("Upstream/shop/cart@12: spec.targets[1].weight: 70000 (expected: 0..65535)");
    }

    @Test
    void objectErrorFromASnapshotWideProblemHasNoUid() {
        ObjectError e = ObjectError.of(new Problem(null, "routes", "two routes with id x"));
        assertThat(e.uid()).isNull();
        assertThat(e.generation()).isZero();
        assertThat(e.isSnapshotWide()).isTrue();
        Nack nack = Nack.of(1, "h", List.of(e));
        assertThat(new String(ChannelCodec.encode(nack), StandardCharsets.UTF_8)).doesNotContain("uid");
        assertThat(roundTrip(nack)).isEqualTo(nack);
    }

    @Test
    void unknownTypeIsNamedWithTheKnownOnes() {
        assertThatThrownBy(() -> ChannelCodec.decode(utf8("{\"type\":\"delta\",\"protocol\":1}")))
                .isInstanceOf(ChannelCodecException.class)
                .hasMessage("type: 'delta' (expected: one of hello, snapshot, endpoints, objects, ack, nack)");
        assertThatThrownBy(() -> ChannelCodec.decode(utf8("{\"protocol\":1}")))
                .isInstanceOf(ChannelCodecException.class)
                .hasMessage("type: missing (expected: one of hello, snapshot, endpoints, objects, ack, nack)");
    }

    @Test
    void anotherProtocolVersionIsRefusedBeforeItsFieldsAreRead() {
        assertThatThrownBy(() -> ChannelCodec.decode(utf8("{\"type\":\"ack\",\"protocol\":2,\"version\":\"x\"}")))
                .isInstanceOf(ChannelCodecException.class)
                .hasMessage("ack.protocol: 2 (expected: 1)");
        assertThatThrownBy(() -> ChannelCodec.decode(utf8("{\"type\":\"ack\",\"version\":1,\"hash\":\"h\"}")))
                .isInstanceOf(ChannelCodecException.class)
                .hasMessage("ack.protocol: missing (expected: 1)");
    }

    @Test
    void notJsonOrNotAnObjectOrMissingFieldsFailClearly() {
        assertThatThrownBy(() -> ChannelCodec.decode(utf8("{nope")))
                .isInstanceOf(ChannelCodecException.class)
                .hasMessageStartingWith("not a channel message: not JSON");
        assertThatThrownBy(() -> ChannelCodec.decode(utf8("[1]")))
                .isInstanceOf(ChannelCodecException.class)
                .hasMessage("not a channel message: array (expected: a JSON object)");
        assertThatThrownBy(() -> ChannelCodec.decode(utf8("{\"type\":\"ack\",\"protocol\":1,\"version\":1}")))
                .isInstanceOf(ChannelCodecException.class)
                .hasMessageStartingWith("not a valid ack message:");
    }

    @Test
    void aSnapshotThatDoesNotFitStillTellsItsVersionAndHash() {
        // e.g. a newer controller's enum value this proxy does not know
        String json = "{\"type\":\"snapshot\",\"protocol\":1,\"version\":9,\"hash\":\"abc\","
                + "\"snapshot\":{\"version\":9,\"upstreams\":[{\"id\":\"a/b\",\"algorithm\":\"QUANTUM\"}]}}";
        assertThatThrownBy(() -> ChannelCodec.decode(utf8(json)))
                .isInstanceOfSatisfying(ChannelCodecException.class, e -> {
                    assertThat(e.type()).isEqualTo("snapshot");
                    assertThat(e.version()).isEqualTo(9);
                    assertThat(e.hash()).isEqualTo("abc");
                    assertThat(e.getMessage()).startsWith("not a valid snapshot message:").contains("QUANTUM");
                });
        assertThatThrownBy(() -> ChannelCodec.decode(utf8("{\"type\":\"delta\",\"protocol\":1}")))
                .isInstanceOfSatisfying(ChannelCodecException.class, e -> {
                    assertThat(e.type()).isNull();
                    assertThat(e.version()).isEqualTo(-1);
                });
    }

    @Test
    void unknownPropertiesAreIgnored() {
        ChannelMessage m = ChannelCodec.decode(utf8(
                "{\"type\":\"ack\",\"protocol\":1,\"version\":5,\"hash\":\"h\",\"since\":\"later\"}"));
        assertThat(m).isEqualTo(Ack.of(5, "h"));
    }
}
