package dev.gatehouse.proxy.channel;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotCodec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class SnapshotStoreTest {

    @Test
    void writesAndLoadsAnEqualSnapshot(@TempDir Path dir) throws Exception {
        Path state = dir.resolve("nested/state");
        SnapshotStore.write(state, TestSnapshots.v(3));
        assertThat(ChannelClient.loadPersisted(state)).isEqualTo(TestSnapshots.v(3));
        SnapshotStore.write(state, TestSnapshots.v(4));
        assertThat(ChannelClient.loadPersisted(state)).isEqualTo(TestSnapshots.v(4));
        assertThat(names(state)).containsExactly("state.json");
        assertThat(SnapshotStore.loadOrigin(state)).as("written without an epoch").isNull();
    }

    @Test
    void theSnapshotAndItsEpochAreOneFileReadTogether(@TempDir Path dir) throws Exception {
        SnapshotStore.write(dir, TestSnapshots.v(7), "epoch-a");
        assertThat(SnapshotStore.loadWithOrigin(dir))
                .isEqualTo(new SnapshotStore.Persisted(TestSnapshots.v(7), new SnapshotStore.Origin("epoch-a", 7)));
        assertThat(SnapshotStore.loadOrigin(dir)).isEqualTo(new SnapshotStore.Origin("epoch-a", 7));
        assertThat(Files.readString(dir.resolve("state.json"))).as("the origin first, so it is read without the snapshot")
                .startsWith("{\"format\":1,\"epoch\":\"epoch-a\",\"version\":7,\"snapshot\":{")
                .contains(new String(SnapshotCodec.toJson(TestSnapshots.v(7)), StandardCharsets.UTF_8));
        assertThat(names(dir)).containsExactly("state.json");
    }

    @Test
    void theLayoutFromBeforeIsReadUntilTheFirstWriteReplacesIt(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("snapshot.json"), SnapshotCodec.toJson(TestSnapshots.v(3)));
        Files.writeString(dir.resolve("origin"), "epoch-old 3\n");
        assertThat(SnapshotStore.loadWithOrigin(dir))
                .isEqualTo(new SnapshotStore.Persisted(TestSnapshots.v(3), new SnapshotStore.Origin("epoch-old", 3)));
        TestSnapshots.Sink sink = new TestSnapshots.Sink(ChannelClient.loadPersisted(dir));
        assertThat(new SnapshotApplier(sink, dir).hello("p1").lastEpoch()).as("the old origin still counts").isEqualTo("epoch-old");

        SnapshotStore.write(dir, TestSnapshots.v(4), "epoch-new");
        assertThat(names(dir)).as("the old files removed once the new one is in place").containsExactly("state.json");
        assertThat(SnapshotStore.loadWithOrigin(dir))
                .isEqualTo(new SnapshotStore.Persisted(TestSnapshots.v(4), new SnapshotStore.Origin("epoch-new", 4)));
    }

    @Test
    void aTemporaryFileACrashLeftIsRemovedAndNeverRead(@TempDir Path dir) throws Exception {
        SnapshotStore.write(dir, TestSnapshots.v(3), "e1");
        // what a crash before the rename leaves: the new pair, whole or not, under a temporary name
        byte[] newer = Files.readAllBytes(dir.resolve("state.json"));
        Files.write(dir.resolve(".state.json-123.tmp"), java.util.Arrays.copyOf(newer, newer.length / 2));
        assertThat(SnapshotStore.loadWithOrigin(dir)).as("the old pair")
                .isEqualTo(new SnapshotStore.Persisted(TestSnapshots.v(3), new SnapshotStore.Origin("e1", 3)));
        SnapshotStore.write(dir, TestSnapshots.v(4), "e1");
        assertThat(names(dir)).containsExactly("state.json");
    }

    @Test
    void aReaderWhileTheStoreWritesNeverSeesASnapshotUnderAnotherEpoch(@TempDir Path dir) throws Exception {
        SnapshotStore.write(dir, TestSnapshots.v(1), "e1");
        int writes = 100;
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            for (int v = 2; v <= writes; v++) {
                try {
                    SnapshotStore.write(dir, TestSnapshots.v(v), "e" + v);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        });
        Set<Long> seen = new HashSet<>();
        long reads = 0;
        while (!writer.isDone() || reads == 0) {
            SnapshotStore.Persisted p = SnapshotStore.loadWithOrigin(dir);
            assertThat(p).as("read " + reads).isNotNull();
            long v = p.snapshot().version();
            assertThat(p.snapshot()).isEqualTo(TestSnapshots.v(v));
            assertThat(p.origin()).as("the epoch written with version " + v).isEqualTo(new SnapshotStore.Origin("e" + v, v));
            seen.add(v);
            reads++;
        }
        writer.get(30, TimeUnit.SECONDS);
        assertThat(seen).as("the reads overlapped the writes (%d reads)", reads).hasSizeGreaterThan(2);
        assertThat(names(dir)).containsExactly("state.json");
    }

    @Test
    void nothingToLoadIsNull(@TempDir Path dir) {
        assertThat(ChannelClient.loadPersisted(null)).isNull();
        assertThat(ChannelClient.loadPersisted(dir)).isNull();
        assertThat(ChannelClient.loadPersisted(dir.resolve("absent"))).isNull();
        assertThat(SnapshotStore.loadOrigin(dir)).isNull();
    }

    @Test
    void aCorruptOrEmptyOrWrongFileIsIgnored(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("snapshot.json");
        Files.writeString(file, "{\"version\":3,\"services\":[{");
        assertThat(ChannelClient.loadPersisted(dir)).isNull();
        Files.writeString(file, "");
        assertThat(ChannelClient.loadPersisted(dir)).isNull();
        Files.writeString(file, "null");
        assertThat(ChannelClient.loadPersisted(dir)).isNull();
        Files.writeString(file, "{\"version\":\"three\"}");
        assertThat(ChannelClient.loadPersisted(dir)).isNull();
        Files.write(file, new byte[]{(byte) 0xff, 0x00, 0x13});
        assertThat(ChannelClient.loadPersisted(dir)).isNull();
    }

    @Test
    void aCorruptOrMismatchedStateFileIsIgnored(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("snapshot.json"), SnapshotCodec.toJson(TestSnapshots.v(2)));
        String v3 = new String(SnapshotCodec.toJson(TestSnapshots.v(3)), StandardCharsets.UTF_8);
        for (String bad : new String[]{
                "", "null", "[]", "{\"format\":1,\"epoch\":\"e\",\"version\":3,\"snapshot\":" + v3,
                "{\"format\":2,\"epoch\":\"e\",\"version\":3,\"snapshot\":" + v3 + "}",
                "{\"format\":1,\"epoch\":\"e\",\"version\":4,\"snapshot\":" + v3 + "}",
                "{\"format\":1,\"epoch\":\"e e\",\"version\":3,\"snapshot\":" + v3 + "}",
                "{\"format\":1,\"epoch\":\"e\",\"version\":3}",
                "{\"format\":1,\"epoch\":\"e\",\"version\":3,\"snapshot\":null}"}) {
            Files.writeString(dir.resolve("state.json"), bad);
            assertThat(SnapshotStore.loadWithOrigin(dir)).as("never the old layout beside a state file: " + bad).isNull();
        }
        Files.writeString(dir.resolve("state.json"),
                "{\"format\":1,\"epoch\":\"e\",\"later\":{\"x\":[1]},\"version\":3,\"snapshot\":" + v3 + ",\"after\":true}");
        assertThat(ChannelClient.loadPersisted(dir)).as("fields of a later format are skipped").isEqualTo(TestSnapshots.v(3));
    }

    @Test
    void aDirectoryInThePlaceOfTheFileIsIgnored(@TempDir Path dir) throws Exception {
        Files.createDirectory(dir.resolve("snapshot.json"));
        assertThat(ChannelClient.loadPersisted(dir)).isNull();
        Files.createDirectory(dir.resolve("state.json"));
        assertThat(ChannelClient.loadPersisted(dir)).isNull();
    }

    @Test
    void theEmptySnapshotRoundTrips(@TempDir Path dir) throws Exception {
        SnapshotStore.write(dir, Snapshot.EMPTY);
        assertThat(ChannelClient.loadPersisted(dir)).isEqualTo(Snapshot.EMPTY);
    }

    @Test
    void theStateHoldsKeysSoItIsOwnerOnly(@TempDir Path dir) throws Exception {
        Path state = dir.resolve("state");
        Files.createDirectories(state);
        Files.setPosixFilePermissions(state, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        SnapshotStore.write(state, TestSnapshots.v(3), "epoch-1");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(state)))
                .isEqualTo("rwx------");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(
                state.resolve(SnapshotStore.STATE)))).isEqualTo("rw-------");
    }

    static java.util.List<String> names(Path dir) throws java.io.IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
