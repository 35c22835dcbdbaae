package dev.gatehouse.controller.files;

import dev.gatehouse.config.Snapshot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

import static dev.gatehouse.controller.files.LocalSourceTest.UPSTREAM;
import static dev.gatehouse.controller.files.LocalSourceTest.route;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Local mode on a directory of many files, with real files in a temporary directory: what a
 * reload reads and parses, and what is served after edits, renames, deletions and half-written
 * files.
 */
class LocalSourceFilesTest {
    final List<Snapshot> published = new CopyOnWriteArrayList<>();

    /** Waits for {@code condition}: what is served, not how fast (a busy machine may take seconds). */
    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30 s: " + what);
            }
            Thread.sleep(10);
        }
    }

    Snapshot latest() {
        return published.get(published.size() - 1);
    }

    private static void writeRoutes(Path dir, int files) throws Exception {
        Files.writeString(dir.resolve("base.yaml"), UPSTREAM);
        for (int i = 0; i < files; i++) {
            Files.writeString(dir.resolve("routes-" + i + ".yaml"), route("r" + i, "/r" + i) + "---\n" + route("q" + i, "/q" + i));
        }
    }

    private boolean serves(String path) {
        return latest().routes().stream().anyMatch(r -> r.paths().contains(path));
    }

    @Test
    void anEditOfOneFileReadsAndParsesThatFileAloneAndServesIt(@TempDir Path dir) throws Exception {
        writeRoutes(dir, 30);
        try (LocalSource source = new LocalSource(dir, published::add).start()) {
            assertThat(source.reloadReads()).isEqualTo(31);
            assertThat(source.parses()).isEqualTo(31);

            Path tmp = dir.resolve(".routes-12.yaml.tmp"); // hidden: not a manifest while it is written
            Files.writeString(tmp, route("r12", "/r12-edited") + "---\n" + route("q12", "/q12"));
            Files.move(tmp, dir.resolve("routes-12.yaml"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            await(() -> serves("/r12-edited"), "the edit served");

            assertThat(source.reloadReads()).as("the reload read the edited file, no other").isEqualTo(32);
            assertThat(source.parses()).as("and parsed it alone").isEqualTo(32);
            assertThat(latest().routes()).hasSize(60);
            assertThat(latest().routes()).extracting(r -> r.paths().get(0)).doesNotContain("/r12").contains("/q12", "/r11", "/q29");
        }
    }

    @Test
    void aRenamedFileKeepsItsObjectsAndADeletedOneTakesThemAway(@TempDir Path dir) throws Exception {
        writeRoutes(dir, 5);
        try (LocalSource source = new LocalSource(dir, published::add).start()) {
            Files.move(dir.resolve("routes-2.yaml"), dir.resolve("renamed.yaml"), StandardCopyOption.ATOMIC_MOVE);
            Files.writeString(dir.resolve("sentinel.yaml"), route("sentinel", "/sentinel"));
            await(() -> serves("/sentinel"), "the rename and the sentinel read");
            assertThat(latest().routes()).as("r2 and q2 still served, from the renamed file").hasSize(11)
                    .extracting(r -> r.paths().get(0)).contains("/r2", "/q2");
            assertThat(source.translation().statuses()).allMatch(s -> s.accepted() && s.problems().isEmpty());

            Files.delete(dir.resolve("renamed.yaml"));
            await(() -> latest().routes().size() == 9, "the deletion");
            assertThat(latest().routes()).extracting(r -> r.paths().get(0)).doesNotContain("/r2", "/q2").contains("/r3");

            Files.move(dir.resolve("routes-3.yaml"), dir.resolve("notes.txt"), StandardCopyOption.ATOMIC_MOVE);
            await(() -> latest().routes().size() == 7, "a file renamed to a name that is not a manifest leaves");
        }
    }

    /**
     * A file written in place in two parts, its first part not YAML (cut in the middle of a flow
     * sequence): every snapshot published keeps the file's last good objects, and the whole file
     * is served once written.
     */
    @Test
    void aHalfWrittenFileNeverTakesItsRoutesAway(@TempDir Path dir) throws Exception {
        writeRoutes(dir, 3);
        try (LocalSource source = new LocalSource(dir, published::add).start()) {
            String whole = route("r1", "/r1-new") + "---\n" + route("q1", "/q1");
            int cut = whole.indexOf("/r1-new") + 3;
            try (FileChannel ch = FileChannel.open(dir.resolve("routes-1.yaml"), StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(ByteBuffer.wrap(whole.substring(0, cut).getBytes(StandardCharsets.UTF_8)));
                ch.force(true);
                // the other file's change is read and published while this one is half-written
                Files.writeString(dir.resolve("sentinel.yaml"), route("sentinel", "/sentinel"));
                await(() -> serves("/sentinel"), "a reload with the half-written file");
                assertThat(latest().routes()).extracting(r -> r.paths().get(0)).as("its last good objects").contains("/r1", "/q1");
                ch.write(ByteBuffer.wrap(whole.substring(cut).getBytes(StandardCharsets.UTF_8)));
            }
            await(() -> serves("/r1-new"), "the whole file served");
            assertThat(published).as("no snapshot without the file's routes").allSatisfy(s -> assertThat(s.routes())
                    .extracting(r -> r.paths().get(0)).contains("/q1"));
            assertThat(latest().routes()).hasSize(7);
        }
    }

    @Test
    void aWholeDirectoryReplacedIsReadAgain(@TempDir Path dir) throws Exception {
        writeRoutes(dir, 4);
        try (LocalSource source = new LocalSource(dir, published::add).start()) {
            for (int i = 0; i < 4; i++) {
                Files.delete(dir.resolve("routes-" + i + ".yaml"));
            }
            Files.writeString(dir.resolve("other.yaml"), route("other", "/other"));
            await(() -> latest().routes().size() == 1 && serves("/other"), "only the new file's route");
            assertThat(source.translation().statuses()).allMatch(s -> s.accepted());
        }
    }

    /**
     * The check of the incremental translation against one from scratch runs once the directory is
     * quiet, not on the reload of an edit, and publishes nothing when they agree.
     */
    @Test
    void theCheckAgainstATranslationFromScratchWaitsForQuiet(@TempDir Path dir) throws Exception {
        writeRoutes(dir, 3);
        try (LocalSource source = new LocalSource(dir, published::add, null, Clock.systemUTC(), 3, Duration.ofSeconds(5)).start()) {
            Files.writeString(dir.resolve("routes-0.yaml"), route("r0", "/r0-a"));
            await(() -> serves("/r0-a"), "the first edit");
            Files.writeString(dir.resolve("routes-1.yaml"), route("r1", "/r1-a"));
            await(() -> serves("/r1-a"), "the second edit");
            assertThat(source.verified()).as("three translations, but no quiet yet").isZero();
            int publishes = published.size();

            await(() -> source.verified() > 0, "the check once quiet");
            assertThat(source.verified()).as("checked once the directory was quiet").isEqualTo(1);
            assertThat(published).as("the same snapshot: nothing published").hasSize(publishes);
            assertThat(latest().routes()).as("q0 and q1 gone with the edits, r0, r1 edited, r2 and q2").hasSize(4)
                    .extracting(r -> r.paths().get(0)).containsExactlyInAnyOrder("/r0-a", "/r1-a", "/r2", "/q2");
        }
    }
}
