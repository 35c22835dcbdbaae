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
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The last acknowledged snapshot on disk, {@code <stateDir>/snapshot.json}, so a proxy that
 * restarts while the controller is away still serves; beside it {@code origin}, one line
 * {@code <epoch> <version>} naming the controller epoch it came from, so the rule "never back
 * within an epoch" holds across a restart. Each file is written atomically: a temporary file in
 * the same directory, fsync, rename over the old one, fsync of the directory; a crash leaves
 * the old file or the new one, never half of one. The origin is written after the snapshot and
 * trusted only when its version is the snapshot's.
 *
 * <p>The snapshot holds the private keys of the TLS certificates: the directory is made
 * owner-only ({@code 0700}) and every file is created owner-only ({@code 0600}) before a byte is
 * written, on file systems with POSIX permissions. A log line about an unreadable file never
 * quotes its content.
 */
final class SnapshotStore {
    static final String FILE = "snapshot.json";
    static final String ORIGIN = "origin";
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotStore.class);
    static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");

    /** Where the persisted snapshot came from. */
    record Origin(String epoch, long version) {
    }

    private SnapshotStore() {
    }

    static void write(Path dir, Snapshot snapshot) throws IOException {
        writeAtomically(dir, FILE, SnapshotCodec.toJson(snapshot));
    }

    /** Records the epoch of the snapshot just written; a null epoch removes the record. */
    static void writeOrigin(Path dir, String epoch, long version) throws IOException {
        if (epoch == null) {
            Files.deleteIfExists(dir.resolve(ORIGIN));
            return;
        }
        writeAtomically(dir, ORIGIN, (epoch + " " + version + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    }

    /** The recorded origin; null when there is none or it cannot be read (then no epoch is assumed). */
    static Origin loadOrigin(Path dir) {
        if (dir == null) {
            return null;
        }
        try {
            String[] parts = Files.readString(dir.resolve(ORIGIN), java.nio.charset.StandardCharsets.US_ASCII).trim().split(" ");
            if (parts.length == 2 && parts[0].matches("[0-9A-Za-z._-]{1,64}")) {
                return new Origin(parts[0], Long.parseLong(parts[1]));
            }
            LOG.warn("event=channel.origin-ignored file={} reason=corrupt", dir.resolve(ORIGIN));
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | NumberFormatException e) {
            LOG.warn("event=channel.origin-ignored file={} reason=unreadable error=\"{}\"", dir.resolve(ORIGIN), e.toString());
        }
        return null;
    }

    private static void writeAtomically(Path dir, String name, byte[] json) throws IOException {
        ownerOnlyDirectory(dir);
        Path tmp = posix(dir)
                ? Files.createTempFile(dir, "." + name + "-", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE))
                : Files.createTempFile(dir, "." + name + "-", ".tmp");
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(json);
                while (buf.hasRemaining()) {
                    out.write(buf);
                }
                out.force(true);
            }
            try {
                Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        syncDirectory(dir);
    }

    /** Creates {@code dir} (and parents) and makes it {@code 0700}, also when it existed with wider rights. */
    static void ownerOnlyDirectory(Path dir) throws IOException {
        Files.createDirectories(dir);
        if (posix(dir)) {
            Files.setPosixFilePermissions(dir, OWNER_ONLY_DIR);
        }
    }

    private static boolean posix(Path dir) {
        return dir.getFileSystem().supportedFileAttributeViews().contains("posix");
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
            // the class and where, never the message: a parser may quote the text it choked on, and the file holds keys
            LOG.warn("event=channel.persisted-ignored file={} reason=corrupt error=\"{}{}\"", file, e.getClass().getSimpleName(),
                    location(e));
            return null;
        }
    }

    private static String location(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof com.fasterxml.jackson.core.JsonProcessingException j && j.getLocation() != null) {
                return " at line " + j.getLocation().getLineNr() + " column " + j.getLocation().getColumnNr();
            }
        }
        return "";
    }
}
