package dev.gatehouse.proxy.channel;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A proxy killed while it writes its state: a child JVM writes version after version, each with
 * its own epoch, and is killed ({@code SIGKILL}) at a different point each round. The proxy
 * started after it must serve a snapshot and name that snapshot's epoch in its hello, never
 * another's (with the two files from before, a kill between them left a newer snapshot under an
 * older origin, and the hello went without an epoch).
 */
class SnapshotStoreCrashTest {
    private static final int ROUNDS = 4;

    @Test
    void aKilledWriterLeavesTheOldPairOrTheNewOneAndTheHelloSaysWhich(@TempDir Path dir) throws Exception {
        long before = 0;
        for (int round = 0; round < ROUNDS; round++) {
            long written = killWhileWriting(dir, before + 1, 5 + 7 * round);
            SnapshotStore.Persisted p = SnapshotStore.loadWithOrigin(dir);
            assertThat(p).as("round " + round + ": a pair is on disk").isNotNull();
            long v = p.snapshot().version();
            assertThat(v).as("round %d: the last version reported written or the one after it", round)
                    .isBetween(written, written + 1);
            assertThat(p.snapshot()).isEqualTo(TestSnapshots.v(v));
            assertThat(p.origin()).isEqualTo(new SnapshotStore.Origin(Writer.epoch(v), v));

            // the restarted proxy: serves what it loaded and says where it came from
            TestSnapshots.Sink sink = new TestSnapshots.Sink(ChannelClient.loadPersisted(dir));
            var hello = new SnapshotApplier(sink, dir).hello("p1");
            assertThat(hello.lastVersion()).isEqualTo(v);
            assertThat(hello.lastEpoch()).as("round %d: the epoch of version %d", round, v).isEqualTo(Writer.epoch(v));
            before = v;
        }
        assertThat(SnapshotStoreTest.names(dir)).as("a leftover temporary file is removed by the next write")
                .contains("state.json").allSatisfy(n -> assertThat(n).matches("state\\.json|\\.state\\.json-.*\\.tmp"));
    }

    /**
     * Runs {@link Writer} from {@code from}, kills it once it reported {@code after} writes; the
     * last version it reported (the one after it may be on disk too: written, not yet reported).
     * Its output goes to a file, read again after its death: it may have run ahead of the reading.
     */
    private static long killWhileWriting(Path dir, long from, int after) throws Exception {
        Path report = Files.createTempFile("writer-", ".out");
        Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "-XX:TieredStopAtLevel=1",
                Writer.class.getName(), dir.toString(), Long.toString(from))
                .redirectOutput(report.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (written(report).size() < after && child.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(2); // polls the child's output file: a process of its own, no event to wait on
            }
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no close, in the middle of a write or between two
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("the writer ended").isTrue();
            List<Long> versions = written(report);
            assertThat(versions).as("the writer wrote at least %d before the kill", after).hasSizeGreaterThanOrEqualTo(after);
            return versions.get(versions.size() - 1);
        } finally {
            child.destroyForcibly();
            Files.deleteIfExists(report);
        }
    }

    private static List<Long> written(Path report) throws java.io.IOException {
        return Files.readAllLines(report, StandardCharsets.US_ASCII).stream()
                .filter(l -> l.startsWith("wrote ")).map(l -> Long.parseLong(l.substring(6))).toList();
    }

    /** The child: writes versions {@code from, from+1, …} with an epoch each, says so after each, for at most 20 s. */
    public static final class Writer {
        static String epoch(long version) {
            return "epoch-" + version;
        }

        public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            for (long v = Long.parseLong(args[1]); System.nanoTime() < deadline; v++) {
                SnapshotStore.write(dir, TestSnapshots.v(v), epoch(v));
                System.out.println("wrote " + v);
                System.out.flush();
            }
        }
    }
}
