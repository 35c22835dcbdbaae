package dev.gatehouse.controller.files;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Takes {@link DirectoryState}s of one directory poll after poll, reading a file again only when
 * it may have changed: its size, inode, modification or change time ({@code ctime}, which no tool
 * can set back: {@code cp -p} and {@code touch -d} restore the modification time only) differ from
 * the last poll's, or it changed less than {@link #RACY} ago (a file rewritten within one tick of
 * the file system's clock keeps its times, so a recent time proves nothing; git's "racy clean"
 * rule). Polling a directory of megabytes of YAML every 100 ms then costs a listing and a stat per
 * file, not a read and a hash of every byte. Where the file system has no {@code unix} attribute
 * view every file is read on every poll, as before. One poller at a time.
 */
final class DirectoryScanner {
    /** A file modified this recently is read whatever its size and time say. */
    static final Duration RACY = Duration.ofSeconds(2);

    /** What a stat says of a file: equal stats of a file older than {@link #RACY} mean equal bytes. */
    private record Stat(long size, Object inode, FileTime modified, FileTime changed) {
        long latestMillis() {
            return Math.max(modified.toMillis(), changed.toMillis());
        }
    }

    private record Seen(Stat stat, byte[] digest) {
    }

    private boolean unixView = true;

    private final Path dir;
    private final Duration racy;
    private final Map<String, Seen> seen = new HashMap<>();
    /** Written by the one poller, read by tests. */
    private volatile long reads;

    DirectoryScanner(Path dir) {
        this(dir, RACY);
    }

    /** @param racy how recent a change makes a file read whatever its stat says; tests shorten it */
    DirectoryScanner(Path dir, Duration racy) {
        this.dir = dir;
        this.racy = racy;
    }

    DirectoryState scan() throws IOException {
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(Files::isRegularFile).filter(LocalDirectory::isManifest).sorted().toList();
        }
        MessageDigest whole = sha256();
        Map<String, Seen> now = new HashMap<>();
        Map<String, byte[]> digests = new HashMap<>();
        long racyBefore = System.currentTimeMillis() - racy.toMillis();
        for (Path f : files) {
            String name = f.getFileName().toString();
            byte[] digest;
            try {
                Stat stat = stat(f);
                Seen last = seen.get(name);
                if (stat != null && last != null && stat.equals(last.stat()) && stat.latestMillis() < racyBefore) {
                    digest = last.digest();
                } else {
                    digest = sha256().digest(Files.readAllBytes(f));
                    reads++;
                }
                if (stat != null) {
                    now.put(name, new Seen(stat, digest));
                }
                digests.put(name, digest);
            } catch (NoSuchFileException e) {
                digest = new byte[] {1}; // vanished between list and read: the next poll settles it
            }
            whole.update(name.getBytes(StandardCharsets.UTF_8));
            whole.update((byte) 0);
            whole.update(digest);
            whole.update((byte) 0);
        }
        seen.clear();
        seen.putAll(now);
        List<String> names = new ArrayList<>(files.size());
        files.forEach(p -> names.add(p.getFileName().toString()));
        return new DirectoryState(List.copyOf(names), whole.digest(), Map.copyOf(digests));
    }

    /** The file's stat, or null where the file system has no {@code unix} view (the file is read every time). */
    private Stat stat(Path f) throws IOException {
        if (!unixView) {
            return null;
        }
        try {
            Map<String, Object> a = Files.readAttributes(f, "unix:size,ino,lastModifiedTime,ctime");
            return new Stat((Long) a.get("size"), a.get("ino"), (FileTime) a.get("lastModifiedTime"), (FileTime) a.get("ctime"));
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            unixView = false;
            return null;
        }
    }

    /** Files read (and hashed) so far; an unchanged file older than {@link #RACY} is not read again. For tests. */
    long reads() {
        return reads;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256: not available (expected: every Java runtime has it)", e);
        }
    }
}
