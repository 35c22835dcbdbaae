package dev.gatehouse.controller.files;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Takes {@link DirectoryState}s of one directory poll after poll, reading a file again only when
 * it may have changed: its size, inode, modification or change time ({@code ctime}, which no tool
 * can set back: {@code cp -p} and {@code touch -d} restore the modification time only) differ from
 * the last poll's, or it changed less than {@link #RACY} ago (a file rewritten within one tick of
 * the file system's clock keeps its times, so a recent time proves nothing; git's "racy clean"
 * rule). Polling a directory of megabytes of YAML every 100 ms then costs a listing and one stat per
 * file, not a read and a hash of every byte, and a poll that finds every file as the last one did
 * hands back the last state without hashing anything. Entries that are not regular files, links to
 * nothing among them, are left out. Where the file system has no {@code unix} attribute view every
 * file is read on every poll. One poller at a time.
 */
final class DirectoryScanner {
    /** A file modified this recently is read whatever its size and time say. */
    static final Duration RACY = Duration.ofSeconds(2);

    /** What a stat says of a file: equal stats of a file older than {@link #RACY} mean equal bytes. */
    private record Stat(long size, Object inode, FileTime modified, FileTime changed, boolean regular) {
        long latestMillis() {
            return Math.max(modified.toMillis(), changed.toMillis());
        }
    }

    private record Seen(Stat stat, byte[] digest) {
    }

    /** One stat a file: the {@code unix} view's times and inode, and whether it is a file at all. */
    private static final String ATTRIBUTES = "unix:size,ino,lastModifiedTime,ctime,isRegularFile";

    private boolean unixView = true;

    private final Path dir;
    private final Duration racy;
    private final Map<String, Seen> seen = new HashMap<>();
    private final MessageDigest file = sha256();
    private final MessageDigest whole = sha256();
    /** The last scan's state, returned again while every file stats as it did. */
    private DirectoryState last;
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
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> list = Files.newDirectoryStream(dir)) {
            for (Path f : list) {
                if (LocalDirectory.isManifest(f)) {
                    names.add(f.getFileName().toString());
                }
            }
        }
        Collections.sort(names);
        Map<String, Seen> now = new HashMap<>();
        Map<String, byte[]> digests = new HashMap<>();
        long racyBefore = System.currentTimeMillis() - racy.toMillis();
        boolean changed = last == null;
        List<String> files = new ArrayList<>(names.size());
        for (String name : names) {
            Path f = dir.resolve(name);
            try {
                byte[] digest;
                Stat stat = stat(f);
                if (stat == null ? !Files.isRegularFile(f) : !stat.regular()) {
                    continue;
                }
                Seen before = seen.get(name);
                if (stat != null && before != null && stat.equals(before.stat()) && stat.latestMillis() < racyBefore) {
                    digest = before.digest();
                } else {
                    digest = file.digest(Files.readAllBytes(f));
                    reads++;
                    changed |= before == null || !Arrays.equals(digest, before.digest());
                }
                if (stat != null) {
                    now.put(name, new Seen(stat, digest));
                }
                digests.put(name, digest);
                files.add(name);
            } catch (NoSuchFileException e) {
                // listed, then gone, or a link to nothing: left out; if the last scan had it, the names differ below
            }
        }
        seen.clear();
        seen.putAll(now);
        if (!changed && files.equals(last.names())) {
            return last; // every file as the last scan had it: its fingerprint holds, nothing to hash
        }
        MessageDigest whole = this.whole;
        for (String name : files) {
            whole.update(name.getBytes(StandardCharsets.UTF_8));
            whole.update((byte) 0);
            whole.update(digests.get(name));
            whole.update((byte) 0);
        }
        last = new DirectoryState(List.copyOf(files), whole.digest(), Map.copyOf(digests));
        return last;
    }

    /** The file's stat, or null where the file system has no {@code unix} view (the file is read every time). */
    private Stat stat(Path f) throws IOException {
        if (!unixView) {
            return null;
        }
        try {
            Map<String, Object> a = Files.readAttributes(f, ATTRIBUTES);
            return new Stat((Long) a.get("size"), a.get("ino"), (FileTime) a.get("lastModifiedTime"), (FileTime) a.get("ctime"),
                    (Boolean) a.get("isRegularFile"));
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
