package dev.gatehouse.proxy.channel;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Set;

/**
 * The last acknowledged snapshot on disk with the controller epoch it came from, one file
 * {@code <stateDir>/state.json}: {@code {"format":1,"epoch":"…","version":N,"snapshot":{…}}}, so
 * a proxy that restarts while the controller is away still serves, and the rule "never back
 * within an epoch" holds across the restart. The pair is one file so that it is written in one
 * step: a temporary file in the same directory, fsync, rename over the old one, fsync of the
 * directory; a crash at any point leaves the old pair or the new pair, never a snapshot under
 * another snapshot's epoch. The epoch and the version come before the snapshot, so the origin is
 * read without parsing the snapshot.
 *
 * <p>Upgrades: a proxy from before kept two files, {@code snapshot.json} and beside it
 * {@code origin} (one line {@code <epoch> <version>}, trusted only when its version is the
 * snapshot's). When there is no {@code state.json} they are read as before; the first write of
 * {@code state.json} removes them.
 *
 * <p>The snapshot holds the private keys of the TLS certificates: the directory is made
 * owner-only ({@code 0700}) and every file is created owner-only ({@code 0600}) before a byte is
 * written, on file systems with POSIX permissions. A log line about an unreadable file never
 * quotes its content.
 */
final class SnapshotStore {
    static final String STATE = "state.json";
    /** The snapshot alone, as proxies from before {@link #STATE} wrote it; read when there is no {@link #STATE}. */
    static final String LEGACY_FILE = "snapshot.json";
    /** The epoch of {@link #LEGACY_FILE}, written after it by proxies from before {@link #STATE}. */
    static final String LEGACY_ORIGIN = "origin";
    static final int FORMAT = 1;
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotStore.class);
    static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");

    /** Where the persisted snapshot came from. */
    record Origin(String epoch, long version) {
    }

    /** The persisted snapshot and its origin as read together; {@code origin} null when none was recorded. */
    record Persisted(Snapshot snapshot, Origin origin) {
    }

    private SnapshotStore() {
    }

    /** Writes {@code snapshot} without an epoch (a controller from before epochs). */
    static void write(Path dir, Snapshot snapshot) throws IOException {
        write(dir, snapshot, null);
    }

    /**
     * Replaces the persisted pair with {@code snapshot} and {@code epoch} (null: none) in one
     * rename; then removes the files of the layout from before, if any.
     */
    static void write(Path dir, Snapshot snapshot, String epoch) throws IOException {
        Objects.requireNonNull(snapshot, "snapshot");
        ownerOnlyDirectory(dir);
        removeLeftovers(dir);
        Path tmp = posix(dir)
                ? Files.createTempFile(dir, TMP_PREFIX, ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY_FILE))
                : Files.createTempFile(dir, TMP_PREFIX, ".tmp");
        try {
            try (FileChannel file = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(file), 64 * 1024);
                try (JsonGenerator json = SnapshotCodec.mapper().createGenerator(out)
                        .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)) { // closing flushes; the channel is forced below
                    json.writeStartObject();
                    json.writeNumberField("format", FORMAT);
                    if (epoch != null) {
                        json.writeStringField("epoch", epoch);
                    }
                    json.writeNumberField("version", snapshot.version());
                    json.writeFieldName("snapshot");
                    SnapshotCodec.mapper().writeValue(json, snapshot);
                    json.writeEndObject();
                }
                file.force(true);
            }
            try {
                Files.move(tmp, dir.resolve(STATE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, dir.resolve(STATE), StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        syncDirectory(dir);
        // after the new pair is durable: a crash before this leaves both layouts, and the new one is read
        boolean legacySnapshot = Files.deleteIfExists(dir.resolve(LEGACY_FILE));
        boolean legacyOrigin = Files.deleteIfExists(dir.resolve(LEGACY_ORIGIN));
        if (legacySnapshot || legacyOrigin) {
            LOG.info("event=channel.state-upgraded dir={} removed=\"{} {}\" kept={}", dir, LEGACY_FILE, LEGACY_ORIGIN, STATE);
        }
    }

    private static final String TMP_PREFIX = "." + STATE + "-";

    /**
     * Deletes temporary files a crash left behind; this proxy is their only writer and writes
     * from one thread, so any found now is from before.
     */
    private static void removeLeftovers(Path dir) throws IOException {
        try (DirectoryStream<Path> left = Files.newDirectoryStream(dir, TMP_PREFIX + "*.tmp")) {
            for (Path p : left) {
                Files.deleteIfExists(p);
                LOG.info("event=channel.state-leftover-removed file={}", p);
            }
        }
    }

    /**
     * The recorded origin of the persisted snapshot; null when there is none or it cannot be read
     * (then no epoch is assumed). Reads {@link #STATE} up to the snapshot, not the snapshot.
     */
    static Origin loadOrigin(Path dir) {
        if (dir == null) {
            return null;
        }
        Path state = dir.resolve(STATE);
        if (!Files.exists(state)) {
            return loadLegacyOrigin(dir);
        }
        try (InputStream in = Files.newInputStream(state); JsonParser json = SnapshotCodec.mapper().createParser(in)) {
            Header h = header(json);
            return h.epoch == null ? null : new Origin(h.epoch, h.version);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn("event=channel.origin-ignored file={} reason=corrupt error=\"{}{}\"", state, e.getClass().getSimpleName(),
                    location(e));
            return null;
        }
    }

    /** The fields before the snapshot; leaves {@code json} at the snapshot's first token. */
    private static Header header(JsonParser json) throws IOException {
        if (json.nextToken() != JsonToken.START_OBJECT) {
            throw new IllegalArgumentException("state: not a JSON object");
        }
        Header h = new Header();
        for (JsonToken t = json.nextToken(); t == JsonToken.FIELD_NAME; t = json.nextToken()) {
            String name = json.currentName();
            JsonToken value = json.nextToken();
            switch (name) {
                case "format" -> h.format = json.getIntValue();
                case "epoch" -> h.epoch = json.getText();
                case "version" -> h.version = json.getLongValue();
                case "snapshot" -> {
                    if (h.format != FORMAT || h.version < 0 || value != JsonToken.START_OBJECT
                            || (h.epoch != null && !h.epoch.matches("[0-9A-Za-z._-]{1,64}"))) {
                        throw new IllegalArgumentException("state: format " + h.format + " (expected: " + FORMAT
                                + ", an epoch and a version before an object snapshot)");
                    }
                    return h;
                }
                default -> json.skipChildren(); // a field of a later format
            }
        }
        throw new IllegalArgumentException("state: no snapshot");
    }

    private static final class Header {
        int format = -1;
        String epoch;
        long version = -1;
    }

    /** The origin file of the layout from before; trusted by the caller only when its version is the snapshot's. */
    private static Origin loadLegacyOrigin(Path dir) {
        Path file = dir.resolve(LEGACY_ORIGIN);
        try {
            String[] parts = Files.readString(file, StandardCharsets.US_ASCII).trim().split(" ");
            if (parts.length == 2 && parts[0].matches("[0-9A-Za-z._-]{1,64}")) {
                return new Origin(parts[0], Long.parseLong(parts[1]));
            }
            LOG.warn("event=channel.origin-ignored file={} reason=corrupt", file);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | NumberFormatException e) {
            LOG.warn("event=channel.origin-ignored file={} reason=unreadable error=\"{}\"", file, e.toString());
        }
        return null;
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
        Persisted p = loadWithOrigin(dir);
        return p == null ? null : p.snapshot();
    }

    /**
     * The persisted snapshot with its origin, read from one file in one pass, so a reader never
     * pairs a snapshot with another's epoch; null when there is none or it cannot be read
     * (logged). From the layout from before, two files read one after the other.
     */
    static Persisted loadWithOrigin(Path dir) {
        if (dir == null) {
            return null;
        }
        Path state = dir.resolve(STATE);
        if (Files.exists(state)) {
            return loadState(state);
        }
        Snapshot legacy = loadLegacy(dir.resolve(LEGACY_FILE));
        return legacy == null ? null : new Persisted(legacy, loadLegacyOrigin(dir));
    }

    private static Persisted loadState(Path file) {
        try (InputStream in = Files.newInputStream(file); JsonParser json = SnapshotCodec.mapper().createParser(in)) {
            Header h = header(json);
            Snapshot snapshot = SnapshotCodec.mapper().readValue(json, Snapshot.class);
            if (snapshot == null || snapshot.version() != h.version) {
                throw new IllegalArgumentException("state: version " + h.version + " (expected: the snapshot's)");
            }
            JsonToken t = json.nextToken();
            for (; t == JsonToken.FIELD_NAME; t = json.nextToken()) {
                json.nextToken();
                json.skipChildren(); // a field of a later format
            }
            if (t != JsonToken.END_OBJECT) {
                throw new IllegalArgumentException("state: does not end after the snapshot");
            }
            return new Persisted(snapshot, h.epoch == null ? null : new Origin(h.epoch, h.version));
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
            // the class and where, never the message: a parser may quote the text it choked on, and the file holds keys
            boolean unreadable = e instanceof IOException && !(e instanceof com.fasterxml.jackson.core.JsonProcessingException);
            LOG.warn("event=channel.persisted-ignored file={} reason={} error=\"{}{}\"", file,
                    unreadable ? "unreadable" : "corrupt", e.getClass().getSimpleName(), location(e));
            return null;
        }
    }

    /** {@link #LEGACY_FILE}: the snapshot alone. */
    private static Snapshot loadLegacy(Path file) {
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
