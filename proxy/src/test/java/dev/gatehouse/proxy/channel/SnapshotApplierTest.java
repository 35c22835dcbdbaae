package dev.gatehouse.proxy.channel;

import dev.gatehouse.config.Problem;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotCodec;
import dev.gatehouse.config.channel.Ack;
import dev.gatehouse.config.channel.ChannelMessage;
import dev.gatehouse.config.channel.Hello;
import dev.gatehouse.config.channel.Nack;
import dev.gatehouse.config.channel.ObjectError;
import dev.gatehouse.config.channel.SnapshotPush;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SnapshotApplierTest {
    /** The hello of this build: it says it takes object deltas. */
    static Hello hello(String proxyId, long version, String hash, String epoch) {
        return new Hello(Hello.PROTOCOL, proxyId, version, hash, epoch, null, List.of(Hello.FEATURE_OBJECTS));
    }

    @Test
    void helloTellsWhatTheSinkServes() {
        assertThat(new SnapshotApplier(new TestSnapshots.Sink(null), null).hello("p1"))
                .isEqualTo(hello("p1", 0, null, null));
        assertThat(new SnapshotApplier(new TestSnapshots.Sink(Snapshot.EMPTY), null).hello("p1"))
                .as("a proxy before its first snapshot serves nothing, not the empty snapshot's content")
                .isEqualTo(hello("p1", 0, null, null));
        TestSnapshots.Sink sink = new TestSnapshots.Sink(TestSnapshots.v(5));
        SnapshotApplier applier = new SnapshotApplier(sink, null);
        assertThat(applier.lastAppliedVersion()).isEqualTo(5);
        assertThat(applier.hello("p1"))
                .isEqualTo(hello("p1", 5, SnapshotCodec.contentHash(TestSnapshots.v(5)), null));
    }

    @Test
    void aGoodPushIsAppliedAcknowledgedAndPersisted(@TempDir Path dir) {
        TestSnapshots.Sink sink = new TestSnapshots.Sink(null);
        SnapshotApplier applier = new SnapshotApplier(sink, dir);
        SnapshotPush push = SnapshotPush.of(TestSnapshots.v(2));
        assertThat(applier.receive(push)).isEqualTo(Ack.of(2, push.hash()));
        assertThat(sink.current).isEqualTo(TestSnapshots.v(2));
        assertThat(applier.lastAppliedVersion()).isEqualTo(2);
        assertThat(ChannelClient.loadPersisted(dir)).isEqualTo(TestSnapshots.v(2));
        assertThat(applier.hello("p1").lastHash()).isEqualTo(push.hash());
    }

    /** The proxy compiles with the hash the channel checked instead of hashing the whole snapshot a second time. */
    @Test
    void aWholeSnapshotIsHandedOnWithTheHashTheChannelChecked() {
        TestSnapshots.Sink sink = new TestSnapshots.Sink(null);
        SnapshotApplier applier = new SnapshotApplier(sink, null);
        SnapshotPush push = SnapshotPush.of(TestSnapshots.v(2));
        assertThat(applier.receive(push)).isEqualTo(Ack.of(2, push.hash()));
        assertThat(sink.hashes).containsExactly(push.hash());
    }

    @Test
    void problemsBecomeObjectErrorsAndNothingIsPersisted(@TempDir Path dir) {
        TestSnapshots.Sink sink = new TestSnapshots.Sink(TestSnapshots.v(1));
        sink.judge = s -> List.of(new Problem(TestSnapshots.UPSTREAM, "spec.targets[0].weight", "-1 (expected: 0..65535)"),
                new Problem(null, "routes", "duplicate id"));
        SnapshotApplier applier = new SnapshotApplier(sink, dir);
        SnapshotPush push = SnapshotPush.of(TestSnapshots.v(2));
        ChannelMessage answer = applier.receive(push);
        assertThat(answer).isEqualTo(Nack.of(2, push.hash(), List.of(
                new ObjectError("u-cart", 4, "Upstream", "shop", "cart", "spec.targets[0].weight", "-1 (expected: 0..65535)"),
                ObjectError.snapshotWide("routes", "duplicate id"))));
        assertThat(sink.current).isEqualTo(TestSnapshots.v(1));
        assertThat(applier.lastAppliedVersion()).isEqualTo(1);
        assertThat(ChannelClient.loadPersisted(dir)).isNull();
    }

    @Test
    void aHashThatDoesNotMatchIsRefusedBeforeTheSinkSeesIt() {
        TestSnapshots.Sink sink = new TestSnapshots.Sink(null);
        SnapshotApplier applier = new SnapshotApplier(sink, null);
        SnapshotPush forged = new SnapshotPush(1, 3, "00ff", null, TestSnapshots.v(3));
        Nack nack = (Nack) applier.receive(forged);
        assertThat(nack.version()).isEqualTo(3);
        assertThat(nack.hash()).isEqualTo("00ff");
        assertThat(nack.errors()).singleElement().satisfies(e -> {
            assertThat(e.isSnapshotWide()).isTrue();
            assertThat(e.field()).isEqualTo("hash");
            assertThat(e.message()).startsWith("00ff (expected: ");
        });
        assertThat(sink.offered).isEmpty();
    }

    @Test
    void aVersionThatDoesNotMatchTheSnapshotIsRefused() {
        TestSnapshots.Sink sink = new TestSnapshots.Sink(null);
        SnapshotPush push = SnapshotPush.of(TestSnapshots.v(3));
        Nack nack = (Nack) new SnapshotApplier(sink, null)
                .receive(new SnapshotPush(1, 4, push.hash(), null, push.snapshot()));
        assertThat(nack.errors()).extracting(ObjectError::field).containsExactly("version");
        assertThat(sink.offered).isEmpty();
    }

    @Test
    void aSinkThatThrowsGivesANackNotACrash() {
        TestSnapshots.Sink sink = new TestSnapshots.Sink(null);
        sink.judge = s -> {
            throw new IllegalStateException("compile failed");
        };
        Nack nack = (Nack) new SnapshotApplier(sink, null).receive(SnapshotPush.of(TestSnapshots.v(1)));
        assertThat(nack.errors()).singleElement().satisfies(e ->
                assertThat(e.message()).contains("compile failed"));
    }

    @Test
    void aStateDirThatCannotBeWrittenStillAcknowledges(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("not-a-dir");
        java.nio.file.Files.writeString(file, "x");
        SnapshotApplier applier = new SnapshotApplier(new TestSnapshots.Sink(null), file);
        assertThat(applier.receive(SnapshotPush.of(TestSnapshots.v(1)))).isInstanceOf(Ack.class);
    }

    @Test
    void anOlderVersionFromTheSameEpochIsNackedAndNeverReachesTheSink() {
        TestSnapshots.Sink sink = new TestSnapshots.Sink(null);
        SnapshotApplier applier = new SnapshotApplier(sink, null);
        assertThat(applier.receive(SnapshotPush.of(TestSnapshots.v(5), "e1"))).isInstanceOf(Ack.class);
        SnapshotPush older = SnapshotPush.of(TestSnapshots.v(4), "e1");
        ChannelMessage answer = applier.receive(older);
        assertThat(answer).isInstanceOf(Nack.class);
        Nack nack = (Nack) answer;
        assertThat(nack.version()).isEqualTo(4);
        assertThat(nack.hash()).isEqualTo(older.hash());
        assertThat(nack.errors()).singleElement().satisfies(e -> {
            assertThat(e.isSnapshotWide()).isTrue();
            assertThat(e.field()).isEqualTo("version");
            assertThat(e.message()).startsWith("4 (expected: >= 5, the newest version this proxy applied from controller epoch e1");
        });
        assertThat(sink.offered).containsExactly(5L);
        assertThat(sink.current).isEqualTo(TestSnapshots.v(5));
        assertThat(applier.staleRefused()).isEqualTo(1);
        assertThat(applier.receive(SnapshotPush.of(TestSnapshots.v(5), "e1"))).as("the same version again is not older")
                .isInstanceOf(Ack.class);
        assertThat(applier.receive(SnapshotPush.of(TestSnapshots.v(6), "e1"))).isInstanceOf(Ack.class);
        assertThat(applier.staleRefused()).isEqualTo(1);
    }

    @Test
    void aNewEpochStartsItsOwnSequenceAndAnOldOneIsStillRemembered() {
        TestSnapshots.Sink sink = new TestSnapshots.Sink(null);
        SnapshotApplier applier = new SnapshotApplier(sink, null);
        assertThat(applier.receive(SnapshotPush.of(TestSnapshots.v(50), "replica-a"))).isInstanceOf(Ack.class);
        assertThat(applier.receive(SnapshotPush.of(TestSnapshots.v(20), "replica-b")))
                .as("another controller numbers its own snapshots").isInstanceOf(Ack.class);
        assertThat(applier.hello("p1").lastEpoch()).isEqualTo("replica-b");
        assertThat(applier.receive(SnapshotPush.of(TestSnapshots.v(40), "replica-a")))
                .as("back to replica a, still older than what it sent before").isInstanceOf(Nack.class);
        assertThat(applier.receive(SnapshotPush.of(TestSnapshots.v(3), null)))
                .as("a controller before epochs is not ordered").isInstanceOf(Ack.class);
        assertThat(sink.offered).containsExactly(50L, 20L, 3L);
    }

    @Test
    void theEpochRuleHoldsAcrossARestartThroughTheStateDir(@TempDir Path dir) {
        SnapshotApplier before = new SnapshotApplier(new TestSnapshots.Sink(null), dir);
        assertThat(before.receive(SnapshotPush.of(TestSnapshots.v(7), "e1"))).isInstanceOf(Ack.class);

        // a restart: the proxy serves the persisted snapshot, then a new client starts
        TestSnapshots.Sink restored = new TestSnapshots.Sink(ChannelClient.loadPersisted(dir));
        SnapshotApplier after = new SnapshotApplier(restored, dir);
        assertThat(after.hello("p1")).isEqualTo(hello("p1", 7, SnapshotCodec.contentHash(TestSnapshots.v(7)), "e1"));
        assertThat(after.receive(SnapshotPush.of(TestSnapshots.v(6), "e1"))).isInstanceOf(Nack.class);
        assertThat(restored.offered).isEmpty();
        assertThat(after.receive(SnapshotPush.of(TestSnapshots.v(6), "e2"))).isInstanceOf(Ack.class);
    }

    @Test
    void anOriginThatDoesNotMatchThePersistedSnapshotIsNotTrusted(@TempDir Path dir) throws Exception {
        // the two files of a proxy from before state.json, after a crash between their writes
        java.nio.file.Files.write(dir.resolve(SnapshotStore.LEGACY_FILE), SnapshotCodec.toJson(TestSnapshots.v(9)));
        java.nio.file.Files.writeString(dir.resolve(SnapshotStore.LEGACY_ORIGIN), "e1 8\n");
        SnapshotApplier applier = new SnapshotApplier(new TestSnapshots.Sink(TestSnapshots.v(9)), dir);
        assertThat(applier.hello("p1").lastEpoch()).isNull();
        assertThat(applier.receive(SnapshotPush.of(TestSnapshots.v(2), "e1"))).isInstanceOf(Ack.class);
    }

    @Test
    void aPushFromAControllerBeforePerObjectHashingIsTakenWithItsLegacyHashAndAnsweredWithIt() {
        TestSnapshots.Sink sink = new TestSnapshots.Sink(null);
        SnapshotApplier applier = new SnapshotApplier(sink, null);
        Snapshot v3 = TestSnapshots.v(3);
        String legacy = SnapshotCodec.legacyContentHash(v3);
        assertThat(legacy).isNotEqualTo(SnapshotCodec.contentHash(v3));
        assertThat(applier.receive(new SnapshotPush(ChannelMessage.PROTOCOL, 3, legacy, null, v3))).isEqualTo(Ack.of(3, legacy));
        assertThat(sink.offered).containsExactly(3L);
        assertThat(applier.hello("p1").lastHash()).as("its own hello tells the per-object hash").isEqualTo(SnapshotCodec.contentHash(v3));

        Snapshot v4 = TestSnapshots.v(4);
        ChannelMessage wrong = applier.receive(new SnapshotPush(ChannelMessage.PROTOCOL, 4, legacy, null, v4));
        assertThat(wrong).isInstanceOf(Nack.class);
        assertThat(((Nack) wrong).errors().get(0).field()).as("a hash of neither definition is refused").isEqualTo("hash");
        assertThat(sink.offered).containsExactly(3L);
    }
}
