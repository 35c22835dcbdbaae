package dev.gatehouse.controller.files;

import dev.gatehouse.config.Snapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

import static dev.gatehouse.controller.files.LocalSourceTest.UPSTREAM;
import static dev.gatehouse.controller.files.LocalSourceTest.route;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code gatehouse local --settle} reaches the watcher: with a settle of 2 s, a file written again
 * and again 20 ms apart (a writer caught mid-file each time) is read once, after the writes stop,
 * with its last content, and each write seen while settling is counted.
 */
class LocalSourceSettleTest {
    final List<Snapshot> published = new CopyOnWriteArrayList<>();

    static void await(BooleanSupplier condition, Duration within, String what) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + within + ": " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void writesWhileSettlingRestartTheWaitAreCountedAndOnlyTheLastContentIsServed(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("base.yaml"), UPSTREAM);
        Files.writeString(dir.resolve("a.yaml"), route("a", "/a"));
        try (LocalSource source = new LocalSource(dir, published::add, null, Clock.systemUTC(), Duration.ofSeconds(2)).start()) {
            assertThat(published).hasSize(1);
            int n = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (source.settleRestarts() < 3) { // each write lands within the 2 s wait of the one before
                assertThat(System.nanoTime()).as("three restarts within 30 s").isLessThan(deadline);
                Files.writeString(dir.resolve("a.yaml"), route("a", "/a" + (++n)));
                Thread.sleep(20); // the writer's own pace, not a synchronisation
            }
            int last = n;
            assertThat(published).as("nothing read while the writes went on").hasSize(1);
            await(() -> published.size() == 2, Duration.ofSeconds(20), "the file read once settled");
            assertThat(published.get(1).routes()).extracting(r -> r.paths().get(0)).containsExactly("/a" + last);
            assertThat(source.settleRestarts()).isGreaterThanOrEqualTo(3);
        }
    }

    @Test
    void aSettleOutOfRangeNamesTheFlag(@TempDir Path dir) {
        assertThatThrownBy(() -> new LocalSource(dir, published::add, null, Clock.systemUTC(), Duration.ofSeconds(11)))
                .hasMessage("--settle: 11000ms (expected: 0ms..10s)");
        assertThatThrownBy(() -> new LocalSource(dir, published::add, null, Clock.systemUTC(), Duration.ofMillis(-1)))
                .hasMessage("--settle: -1ms (expected: 0ms..10s)");
    }
}
