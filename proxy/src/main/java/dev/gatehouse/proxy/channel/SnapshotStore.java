package dev.gatehouse.proxy.channel;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The last acknowledged snapshot on disk, {@code <stateDir>/snapshot.json}, so a proxy that
 * restarts while the controller is away still serves. Written atomically: a temporary file in
 * the same directory, fsync, rename over the old one, fsync of the directory; a crash leaves
 * the old file or the new one, never half of one.
 */
final class SnapshotStore {
    static final String FILE = "snapshot.json";
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotStore.class);

    private SnapshotStore() {
    }

    static void write(Path dir, Snapshot snapshot) throws IOException {
        Files.createDirectories(dir);
        byte[] json = SnapshotCodec.toJson(snapshot);
        Path tmp = Files.createTempFile(dir, ".snapshot-", ".json.tmp");
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(json);
                while (buf.hasRemaining()) {
                    out.write(buf);
                }
                out.force(true);
            }
            try {
                Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        syncDirectory(dir);
    }

    /** Makes the rename durable; not every platform can open a directory, which is fine. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("event=channel.state-dir-sync-skipped dir={} error=\"{}\"", dir, e.toString());
        }
    }

    /** The persisted snapshot; null when there is none or it cannot be read (logged). */
    static Snapshot load(Path dir) {
        if (dir == null) {
            return null;
        }
        Path file = dir.resolve(FILE);
        byte[] json;
        try {
            json = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException e) {
            LOG.warn("event=channel.persisted-ignored file={} reason=unreadable error=\"{}\"", file, e.toString());
            return null;
        }
        try {
            Snapshot snapshot = SnapshotCodec.snapshotFromJson(json);
            if (snapshot == null) {
                LOG.warn("event=channel.persisted-ignored file={} reason=empty", file);
                return null;
            }
            return snapshot;
        } catch (UncheckedIOException | IllegalArgumentException e) {
            LOG.warn("event=channel.persisted-ignored file={} reason=corrupt error=\"{}\"", file, oneLine(e.getMessage()));
            return null;
        }
    }

    private static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        String line = s.replaceAll("\\s+", " ");
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }
}
