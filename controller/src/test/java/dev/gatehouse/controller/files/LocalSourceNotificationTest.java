package dev.gatehouse.controller.files;

import dev.gatehouse.config.Snapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.gatehouse.controller.files.LocalSourceTest.UPSTREAM;
import static dev.gatehouse.controller.files.LocalSourceTest.await;
import static dev.gatehouse.controller.files.LocalSourceTest.route;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The scan for what notifications missed: a file changed through a hard link in another directory
 * changes the watched directory's bytes with no notification for it (inotify reports a change to the
 * directory the file was opened through), the case of a file system that sends none.
 */
class LocalSourceNotificationTest {
    final List<Snapshot> published = new CopyOnWriteArrayList<>();

    boolean serves(String path) {
        return !published.isEmpty() && published.get(published.size() - 1).routes().stream().anyMatch(r -> r.paths().contains(path));
    }

    @Test
    void aChangeNoNotificationAnnouncedIsServedAndCountedAsMissedAndLaterOnesStillServed(@TempDir Path root) throws Exception {
        Path dir = Files.createDirectory(root.resolve("conf"));
        Path elsewhere = Files.createDirectory(root.resolve("elsewhere"));
        Files.writeString(dir.resolve("base.yaml"), UPSTREAM);
        Files.writeString(dir.resolve("a.yaml"), route("a", "/a1"));
        Path link = Files.createLink(elsewhere.resolve("a.yaml"), dir.resolve("a.yaml"));
        try (DirectoryWatch probe = DirectoryWatch.open(dir)) {
            assumeTrue(probe.watching(), "this file system sends no change notifications");
        }
        try (LocalSource source = new LocalSource(dir, published::add, Duration.ofSeconds(1)).start()) {
            assertThat(serves("/a1")).isTrue();

            Files.writeString(dir.resolve("b.yaml"), route("b", "/b1")); // announced
            await(() -> serves("/b1"), "the announced file");
            assertThat(source.notificationsMissed()).as("a notified change is not a missed one").isFalse();

            Files.writeString(link, route("a", "/a2")); // the same inode, written through the other directory
            await(() -> serves("/a2"), "the change no notification announced");
            assertThat(source.notificationsMissed()).isTrue();

            // served whatever the cadence: that it is now every 100 ms is not timed here (bench/, not a unit test)
            Files.writeString(link, route("a", "/a3"));
            await(() -> serves("/a3"), "the next such change");
        }
    }
}
