package dev.gatehouse.controller.files;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The watch wakes its waiter on a write, before its time runs out; without a change it waits the time. */
class DirectoryWatchTest {
    @Test
    void aWriteWakesTheWaiterAndQuietLetsItsTimeRunOut(@TempDir Path dir) throws Exception {
        try (DirectoryWatch watch = DirectoryWatch.open(dir)) {
            assumeTrue(watch.watching(), "this file system sends no change notifications");
            assertThat(watch.await(TimeUnit.MILLISECONDS.toNanos(20))).as("nothing changed").isFalse();

            Thread writer = new Thread(() -> {
                try {
                    Files.writeString(dir.resolve("a.yaml"), "a: 1\n");
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            writer.start();
            assertThat(watch.await(TimeUnit.SECONDS.toNanos(30))).as("woken by the write, not by the 30 s").isTrue();
            writer.join();
        }
    }

    @Test
    void aClosedWatchOnlyWaits(@TempDir Path dir) throws Exception {
        DirectoryWatch watch = DirectoryWatch.open(dir);
        assumeTrue(watch.watching(), "this file system sends no change notifications");
        watch.close();
        assertThat(watch.watching()).isFalse();
        Files.writeString(dir.resolve("a.yaml"), "a: 1\n");
        assertThat(watch.await(TimeUnit.MILLISECONDS.toNanos(20))).as("no longer woken").isFalse();
    }
}
