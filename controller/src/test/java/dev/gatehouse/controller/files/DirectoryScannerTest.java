package dev.gatehouse.controller.files;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** A poll reads only files whose stat changed, and no rewrite that keeps size and times slips through. */
class DirectoryScannerTest {
    /** With no racy window: a stat that did not change means the bytes did not. */
    private static DirectoryScanner scanner(Path dir) {
        return new DirectoryScanner(dir, Duration.ZERO);
    }

    @Test
    void anUnchangedFileIsNotReadAgain(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.yaml"), "a: 1\n");
        Files.writeString(dir.resolve("b.yaml"), "b: 1\n");
        DirectoryScanner s = scanner(dir);
        awaitClockTick();
        DirectoryState first = s.scan();
        assertThat(s.reads()).isEqualTo(2);
        assertThat(s.scan()).isEqualTo(first);
        assertThat(s.reads()).as("nothing changed: a stat each, no read").isEqualTo(2);

        Files.writeString(dir.resolve("b.yaml"), "b: 2\n"); // same size
        DirectoryState second = s.scan();
        assertThat(second).isNotEqualTo(first);
        assertThat(s.reads()).as("b read again, a not").isEqualTo(3);
    }

    @Test
    void aSameSizeRewriteWithItsOldModificationTimeIsSeen(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.yaml");
        Files.writeString(a, "a: 1\n");
        FileTime old = FileTime.fromMillis(System.currentTimeMillis() - 60_000);
        Files.setLastModifiedTime(a, old);
        DirectoryScanner s = scanner(dir);
        awaitClockTick();
        DirectoryState before = s.scan();
        awaitClockTick();
        Files.writeString(a, "a: 2\n"); // as cp -p does: same size, the modification time set back
        Files.setLastModifiedTime(a, old);
        assertThat(s.scan()).as("the change time moved").isNotEqualTo(before);
    }

    @Test
    void aFileRenamedOverAnotherIsSeen(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a.yaml");
        Path prepared = dir.resolve(".prepared");
        Files.writeString(a, "a: 1\n");
        Files.writeString(prepared, "a: 2\n");
        FileTime same = FileTime.fromMillis(System.currentTimeMillis() - 60_000);
        Files.setLastModifiedTime(a, same);
        Files.setLastModifiedTime(prepared, same);
        DirectoryScanner s = scanner(dir);
        awaitClockTick();
        DirectoryState before = s.scan();
        Files.move(prepared, a, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        assertThat(s.scan()).as("another inode").isNotEqualTo(before);
    }

    @Test
    void addedAndRemovedFilesChangeTheState(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.yaml"), "a: 1\n");
        DirectoryScanner s = scanner(dir);
        DirectoryState one = s.scan();
        Files.writeString(dir.resolve("b.yml"), "b: 1\n");
        Files.writeString(dir.resolve("notes.txt"), "not a manifest\n");
        DirectoryState two = s.scan();
        assertThat(two.names()).containsExactly("a.yaml", "b.yml");
        Files.delete(dir.resolve("b.yml"));
        assertThat(s.scan()).isEqualTo(one);
    }

    @Test
    void onlyRegularFilesCountAndALinkToNothingIsLeftOut(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.yaml"), "a: 1\n");
        Files.createDirectory(dir.resolve("sub.yaml"));
        Files.createSymbolicLink(dir.resolve("gone.yaml"), dir.resolve("nowhere.yaml"));
        Files.createSymbolicLink(dir.resolve("link.yaml"), dir.resolve("a.yaml"));
        DirectoryScanner s = scanner(dir);
        DirectoryState one = s.scan();
        assertThat(one.names()).containsExactly("a.yaml", "link.yaml");
        assertThat(one.digests()).containsOnlyKeys("a.yaml", "link.yaml");
        assertThat(s.scan()).isEqualTo(one)
                .as("the link to nothing does not count as a change: the last state is handed back, nothing hashed").isSameAs(one);

        Files.writeString(dir.resolve("nowhere.yaml"), "n: 1\n"); // the link now points at a file
        assertThat(s.scan().names()).containsExactly("a.yaml", "gone.yaml", "link.yaml", "nowhere.yaml");
    }

    @Test
    void aRescanOfAnUnchangedDirectoryReadsNothingAndKeepsItsFingerprint(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("a.yaml"), "a: 1\n");
        DirectoryScanner s = scanner(dir);
        awaitClockTick();
        DirectoryState first = s.scan();
        for (int i = 0; i < 3; i++) {
            assertThat(s.scan()).isEqualTo(first);
        }
        assertThat(s.reads()).isEqualTo(1);
        Files.delete(dir.resolve("a.yaml"));
        Files.writeString(dir.resolve("a.yaml"), "a: 1\n"); // written again, its stat new: read; the same bytes, the same fingerprint
        assertThat(s.scan()).isEqualTo(first);
        assertThat(s.reads()).isEqualTo(2);
        Files.writeString(dir.resolve("b.yaml"), "b: 1\n");
        assertThat(s.scan()).isNotEqualTo(first);
    }

    /**
     * Waits until the wall clock has moved past the last file time written, so a change made
     * after this gets a later change time even on a file system with coarse timestamps.
     */
    private static void awaitClockTick() throws InterruptedException {
        long start = System.currentTimeMillis();
        while (System.currentTimeMillis() < start + 20) {
            Thread.sleep(5);
        }
    }
}
