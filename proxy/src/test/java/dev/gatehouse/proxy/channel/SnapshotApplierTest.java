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

    @Test
    void helloTellsWhatTheSinkServes() {
        assertThat(new SnapshotApplier(new TestSnapshots.Sink(null), null).hello("p1"))
                .isEqualTo(Hello.of("p1", 0, null));
        assertThat(new SnapshotApplier(new TestSnapshots.Sink(Snapshot.EMPTY), null).hello("p1"))
                .as("a proxy before its first snapshot serves nothing, not the empty snapshot's content")
                .isEqualTo(Hello.of("p1", 0, null));
        TestSnapshots.Sink sink = new TestSnapshots.Sink(TestSnapshots.v(5));
        SnapshotApplier applier = new SnapshotApplier(sink, null);
        assertThat(applier.lastAppliedVersion()).isEqualTo(5);
        assertThat(applier.hello("p1"))
                .isEqualTo(Hello.of("p1", 5, SnapshotCodec.contentHash(TestSnapshots.v(5))));
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
        SnapshotPush forged = new SnapshotPush(1, 3, "00ff", TestSnapshots.v(3));
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
                .receive(new SnapshotPush(1, 4, push.hash(), push.snapshot()));
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
}
