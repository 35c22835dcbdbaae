package dev.gatehouse.proxy.channel;

import dev.gatehouse.config.Snapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
        try (Stream<Path> files = Files.list(state)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("snapshot.json");
        }
    }

    @Test
    void nothingToLoadIsNull(@TempDir Path dir) {
        assertThat(ChannelClient.loadPersisted(null)).isNull();
        assertThat(ChannelClient.loadPersisted(dir)).isNull();
        assertThat(ChannelClient.loadPersisted(dir.resolve("absent"))).isNull();
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
    void aDirectoryInThePlaceOfTheFileIsIgnored(@TempDir Path dir) throws Exception {
        Files.createDirectory(dir.resolve("snapshot.json"));
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
        SnapshotStore.write(state, TestSnapshots.v(3));
        SnapshotStore.writeOrigin(state, "epoch-1", 3);
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(state)))
                .isEqualTo("rwx------");
        for (String name : List.of(SnapshotStore.FILE, SnapshotStore.ORIGIN)) {
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve(name))))
                    .as(name).isEqualTo("rw-------");
        }
    }
}
