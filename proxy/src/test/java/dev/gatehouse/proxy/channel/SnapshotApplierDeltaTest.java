package dev.gatehouse.proxy.channel;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotCodec;
import dev.gatehouse.config.channel.Ack;
import dev.gatehouse.config.channel.ChannelMessage;
import dev.gatehouse.config.channel.EndpointDelta;
import dev.gatehouse.config.channel.EndpointDiff;
import dev.gatehouse.config.channel.Nack;
import dev.gatehouse.config.channel.SnapshotPush;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The applier's side of endpoint deltas: when it applies one, when it asks for a resync, and what it writes to disk. */
class SnapshotApplierDeltaTest {
    @TempDir
    Path dir;
    private final ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
    private final AtomicLong clock = new AtomicLong(1_000_000);

    @AfterEach
    void stop() {
        later.shutdownNow();
    }

    private static EndpointDelta delta(Snapshot base, Snapshot next) {
        return new EndpointDelta(ChannelMessage.PROTOCOL, base.version(), SnapshotCodec.contentHash(base), next.version(),
                SnapshotCodec.contentHash(next), "e1", EndpointDiff.between(base, next));
    }

    private Snapshot onDisk() {
        return SnapshotStore.load(dir);
    }

    @Test
    void aDeltaAtTheBaseIsAppliedAndAckedWithItsHashAndABurstIsWrittenOnceASecond() throws Exception {
        TestSnapshots.Sink sink = new TestSnapshots.Sink(null);
        SnapshotApplier applier = new SnapshotApplier(sink, dir, later, clock::get);
        assertThat(applier.receive(SnapshotPush.of(TestSnapshots.v(1), "e1"))).isInstanceOf(Ack.class);
        assertThat(onDisk()).isEqualTo(TestSnapshots.v(1));

        clock.addAndGet(100);
        ChannelMessage answer = applier.receive(delta(TestSnapshots.v(1), TestSnapshots.v(2)));
        assertThat(answer).isEqualTo(Ack.of(2, SnapshotCodec.contentHash(TestSnapshots.v(2))));
        assertThat(sink.current).isEqualTo(TestSnapshots.v(2));
        assertThat(applier.receive(delta(TestSnapshots.v(2), TestSnapshots.v(3)))).isInstanceOf(Ack.class);
        assertThat(applier.deltasApplied()).isEqualTo(2);
        assertThat(applier.hello("p").lastHash()).isEqualTo(SnapshotCodec.contentHash(TestSnapshots.v(3)));
        assertThat(onDisk()).as("within a second of the last write: not yet").isEqualTo(TestSnapshots.v(1));

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!TestSnapshots.v(3).equals(onDisk()) && System.nanoTime() < deadline) {
            Thread.sleep(20); // the trailing write is due 900 ms after the delta; polled, bounded
        }
        assertThat(onDisk()).as("the last delta of the burst, written once due").isEqualTo(TestSnapshots.v(3));

        clock.addAndGet(5_000);
        applier.receive(delta(TestSnapshots.v(3), TestSnapshots.v(4)));
        assertThat(onDisk()).as("a second after the last write: at once").isEqualTo(TestSnapshots.v(4));
    }

    /**
     * With a writer thread, a whole snapshot is on disk when acknowledged, and deltas do not wait
     * for the disk: two deltas are acknowledged while the writer is held, and once it runs, one
     * write puts the newest on disk.
     */
    @Test
    void theWriterTakesTheWritesOffTheApplyPathAndTheNewestWaitingWins() throws Exception {
        java.util.concurrent.ExecutorService writes = Executors.newSingleThreadExecutor();
        java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger handedOver = new java.util.concurrent.atomic.AtomicInteger();
        try {
            TestSnapshots.Sink sink = new TestSnapshots.Sink(null);
            SnapshotApplier applier = new SnapshotApplier(sink, dir, later, clock::get, task -> {
                handedOver.incrementAndGet();
                writes.execute(task);
            });
            assertThat(applier.receive(SnapshotPush.of(TestSnapshots.v(1), "e1"))).isInstanceOf(Ack.class);
            assertThat(onDisk()).as("a whole snapshot: on disk when acknowledged").isEqualTo(TestSnapshots.v(1));
            handedOver.set(0);
            writes.execute(() -> {
                try {
                    held.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            clock.addAndGet(5_000); // a second after the last write: each delta is written at once
            assertThat(applier.receive(delta(TestSnapshots.v(1), TestSnapshots.v(2)))).isInstanceOf(Ack.class);
            clock.addAndGet(5_000);
            assertThat(applier.receive(delta(TestSnapshots.v(2), TestSnapshots.v(3)))).isInstanceOf(Ack.class);
            assertThat(onDisk()).as("the writer is held: the deltas not on disk yet").isEqualTo(TestSnapshots.v(1));

            held.countDown();
            writes.shutdown();
            assertThat(writes.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
            assertThat(onDisk()).as("the newest").isEqualTo(TestSnapshots.v(3));
            assertThat(handedOver.get()).as("one write for the two snapshots handed over while it waited").isEqualTo(1);
        } finally {
            held.countDown();
            writes.shutdownNow();
        }
    }

    @Test
    void aDeltaNotAtTheBaseAsksForTheWholeSnapshotAndChangesNothing() {
        TestSnapshots.Sink sink = new TestSnapshots.Sink(TestSnapshots.v(1));
        SnapshotApplier applier = new SnapshotApplier(sink, null);
        Nack nack = (Nack) applier.receive(delta(TestSnapshots.v(2), TestSnapshots.v(3)));
        assertThat(nack.version()).isEqualTo(3);
        assertThat(nack.errors()).singleElement().satisfies(e -> {
            assertThat(e.field()).isEqualTo(EndpointDelta.RESYNC_FIELD);
            assertThat(e.message()).isEqualTo("2 (expected: 1, the version this proxy serves; send the whole snapshot)");
        });
        assertThat(applier.resyncsRequested()).isEqualTo(1);
        assertThat(sink.offered).isEmpty();
        assertThat(sink.current).isEqualTo(TestSnapshots.v(1));
    }

    @Test
    void aDeltaWhoseBaseHashDiffersIsNotAppliedEvenAtTheSameVersion() {
        TestSnapshots.Sink sink = new TestSnapshots.Sink(TestSnapshots.v(1));
        SnapshotApplier applier = new SnapshotApplier(sink, null);
        Snapshot other = TestSnapshots.v(5).withVersion(1); // version 1, other content
        Nack nack = (Nack) applier.receive(delta(other, TestSnapshots.v(6).withVersion(2)));
        assertThat(nack.errors().get(0).field()).isEqualTo(EndpointDelta.RESYNC_FIELD);
        assertThat(sink.offered).isEmpty();
    }
}
