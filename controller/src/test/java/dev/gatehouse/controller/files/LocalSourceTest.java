package dev.gatehouse.controller.files;

import dev.gatehouse.config.KeyDigest;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.controller.translate.TestCertificates;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

class LocalSourceTest {
    static final String UPSTREAM = """
            apiVersion: gatehouse.dev/v1alpha1
            kind: Upstream
            metadata: {name: u}
            spec: {targets: [{address: "127.0.0.1:9001"}]}
            ---
            apiVersion: gatehouse.dev/v1alpha1
            kind: GatewayService
            metadata: {name: s}
            spec: {upstreamRef: {name: u}}
            """;

    static String route(String name, String path) {
        return """
                apiVersion: gatehouse.dev/v1alpha1
                kind: GatewayRoute
                metadata: {name: %s}
                spec: {serviceRef: {name: s}, paths: ["%s"]}
                """.formatted(name, path);
    }

    final List<Snapshot> published = new CopyOnWriteArrayList<>();

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        // the outcome, bounded: local mode's promise (served within a second of the write) is measured by
        // bench/, not here, where a loaded machine runs the watcher and the translation late
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 15 s: " + what);
            }
            Thread.sleep(10);
        }
    }

    Snapshot latest() {
        return published.get(published.size() - 1);
    }

    @Test
    void anEditTranslatesTheEditedFilesObjectsOnlyTheOthersAreTheSameObjects(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("base.yaml"), UPSTREAM);
        Files.writeString(dir.resolve("a.yaml"), route("a", "/a"));
        Files.writeString(dir.resolve("b.yaml"), route("b", "/b"));
        try (LocalSource source = new LocalSource(dir, published::add).start()) {
            Snapshot before = latest();
            Files.writeString(dir.resolve("b.yaml"), route("b", "/b2"));
            await(() -> latest().routes().stream().anyMatch(r -> r.paths().contains("/b2")), "changed file");
            Snapshot after = latest();

            assertThat(after.routes().get(0).id()).isEqualTo("default/a");
            assertThat(after.routes().get(0)).as("the route of the file not changed").isSameAs(before.routes().get(0));
            assertThat(after.services().get(0)).isSameAs(before.services().get(0));
            assertThat(after.upstreams().get(0)).isSameAs(before.upstreams().get(0));
            assertThat(after.routes().get(1)).isNotSameAs(before.routes().get(1));
            assertThat(source.translation().statuses()).allMatch(st -> st.accepted());
        }
    }

    @Test
    void picksUpChangedAddedAndRemovedFilesWithinASecond(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("base.yaml"), UPSTREAM);
        Files.writeString(dir.resolve("a.yaml"), route("a", "/a"));
        try (LocalSource source = new LocalSource(dir, published::add).start()) {
            assertThat(published).hasSize(1);
            assertThat(latest().routes()).extracting(r -> r.paths().get(0)).containsExactly("/a");

            Files.writeString(dir.resolve("b.yaml"), route("b", "/b"));
            await(() -> latest().routes().size() == 2, "added file");

            Files.writeString(dir.resolve("a.yaml"), route("a", "/a2"));
            await(() -> latest().routes().stream().anyMatch(r -> r.paths().contains("/a2")), "changed file");

            Files.delete(dir.resolve("b.yaml"));
            await(() -> latest().routes().size() == 1, "removed file");

            long versions = published.stream().map(Snapshot::version).distinct().count();
            assertThat(versions).as("every publish has a new, increasing version").isEqualTo(published.size());
            assertThat(published).extracting(Snapshot::version).isSorted();
        }
    }

    @Test
    void anEditOfOneFileAmongManyParsesThatFileAlone(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("base.yaml"), UPSTREAM);
        for (int i = 0; i < 20; i++) {
            Files.writeString(dir.resolve("routes-" + i + ".yaml"), route("r" + i, "/r" + i) + "---\n" + route("q" + i, "/q" + i));
        }
        try (LocalSource source = new LocalSource(dir, published::add).start()) {
            assertThat(source.parses()).isEqualTo(21);
            assertThat(latest().routes()).hasSize(40);

            Files.writeString(dir.resolve("routes-7.yaml"), route("r7", "/r7-edited") + "---\n" + route("q7", "/q7"));
            await(() -> latest().routes().stream().anyMatch(r -> r.paths().contains("/r7-edited")), "the edit");
            assertThat(source.parses()).as("the edited file parsed again, no other").isEqualTo(22);
            assertThat(latest().routes()).hasSize(40);
            assertThat(latest().routes()).extracting(r -> r.paths().get(0)).doesNotContain("/r7").contains("/r3", "/q7");

            Files.delete(dir.resolve("routes-3.yaml"));
            await(() -> latest().routes().size() == 38, "the removal");
            assertThat(source.parses()).as("a removal parses nothing").isEqualTo(22);

            Files.writeString(dir.resolve("routes-3.yaml"), route("r3", "/r3") + "---\n" + route("q3", "/q3"));
            await(() -> latest().routes().size() == 40, "the file back");
            assertThat(source.parses()).as("a file back after its removal is parsed again").isEqualTo(23);
        }
    }

    @Test
    void aBrokenFileKeepsItsLastGoodObjectsAndTheRestKeepsChanging(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("base.yaml"), UPSTREAM);
        Files.writeString(dir.resolve("a.yaml"), route("a", "/a"));
        try (LocalSource source = new LocalSource(dir, published::add).start()) {
            Files.writeString(dir.resolve("a.yaml"), "apiVersion: [not yaml");
            Files.writeString(dir.resolve("c.yaml"), route("c", "/c"));
            await(() -> latest().routes().size() == 2, "the other file's change applies");
            assertThat(latest().routes()).extracting(r -> r.paths().get(0)).containsExactlyInAnyOrder("/a", "/c");
        }
    }

    @Test
    void anUnchangedSnapshotIsNotPublishedAgain(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("base.yaml"), UPSTREAM);
        try (LocalSource source = new LocalSource(dir, published::add).start()) {
            var before = source.translation();
            Files.writeString(dir.resolve("base.yaml"), "# a comment changes the file, not the snapshot\n" + UPSTREAM);
            await(() -> source.translation() != before, "the changed file read and translated");
            // reloads are serial: a publish of the comment's reload would come before this one's
            Files.writeString(dir.resolve("sentinel.yaml"), route("sentinel", "/sentinel"));
            await(() -> latest().routes().size() == 1, "a real change after it published");
            assertThat(published).as("the first snapshot and the sentinel's, nothing between").hasSize(2);
        }
    }

    @Test
    void aGeneratedKeyIsMadeOnceAndKeptAcrossRestarts(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("c.yaml"), """
                apiVersion: gatehouse.dev/v1alpha1
                kind: Consumer
                metadata: {name: gen}
                spec: {username: gen, keyAuth: {generate: true}}
                """);
        KeyDigest first;
        try (LocalSource source = new LocalSource(dir, published::add).start()) {
            first = latest().consumers().get(0).credentials().get(0).digest();
        }
        Path keyFile = dir.resolve(".gatehouse/default.gen-key-auth.key");
        assertThat(keyFile).exists();
        String key = Files.readString(keyFile).strip();
        assertThat(key).hasSize(43).matches("[A-Za-z0-9_-]+");
        assertThat(first.matches(KeyDigest.of(key))).isTrue();
        published.clear();
        try (LocalSource source = new LocalSource(dir, published::add).start()) {
            assertThat(latest().consumers().get(0).credentials().get(0).digest()).isEqualTo(first);
        }
    }

    /**
     * A certificate not valid yet is refused, and served once its notBefore has passed with no file
     * changing: the certificate recheck runs while a Secret is refused, not only while one is served.
     */
    @Test
    void aCertificateNotValidYetIsServedOnceItsNotBeforePasses(@TempDir Path dir) throws Exception {
        Instant now = Instant.parse("2026-06-01T00:00:00Z");
        TestCertificates.Ca ca = TestCertificates.ca("local CA", now.minusSeconds(86_400), now.plusSeconds(86_400 * 365));
        TestCertificates.Leaf leaf = TestCertificates.leaf(ca, List.of("a.example.com"), now.plusSeconds(3600),
                now.plusSeconds(86_400 * 30), TestCertificates.KeyType.EC, TestCertificates.KeyFormat.PKCS8);
        Files.writeString(dir.resolve("base.yaml"), UPSTREAM);
        Files.writeString(dir.resolve("tls.yaml"), """
                apiVersion: gatehouse.dev/v1alpha1
                kind: GatewayRoute
                metadata: {name: a}
                spec: {serviceRef: {name: s}, hosts: [a.example.com], tls: {secretName: a-tls}}
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: a-tls}
                type: kubernetes.io/tls
                stringData:
                  tls.crt: |
                %s
                  tls.key: |
                %s
                """.formatted(indent(leaf.chainPem()), indent(leaf.keyPem())));
        MovableClock clock = new MovableClock(now);
        try (LocalSource source = new LocalSource(dir, published::add, null, clock).start()) {
            assertThat(latest().certificates()).isEmpty();
            assertThat(source.translation().certificateRefused()).isTrue();
            clock.now = now.plusSeconds(7200);
            await(() -> latest().certificates().size() == 1, "the certificate served once valid");
            assertThat(latest().certificates().get(0).serverNames()).containsExactly("a.example.com");
            assertThat(source.translation().certificateRefused()).isFalse();
        }
    }

    private static String indent(String pem) {
        return pem.strip().lines().map(l -> "    " + l).collect(java.util.stream.Collectors.joining("\n"));
    }

    /** A clock the test moves. */
    static final class MovableClock extends Clock {
        volatile Instant now;

        MovableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
