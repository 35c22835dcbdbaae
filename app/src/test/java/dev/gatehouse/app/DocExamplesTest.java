package dev.gatehouse.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every YAML block a user may copy from docs/ (and the README) and every directory of examples/
 * passes {@code gatehouse local --check}, or says in its first line what it is instead:
 * {@code # counter-example: ...} (a page's own test checks what it is refused for) or
 * {@code # chart values ...} (a Helm values file; the helm module renders it with the chart).
 *
 * <p>A page whose examples need objects of their own (TLS Secrets, Gateway API Services) is checked
 * in full by its own test, named below; this test checks that the test exists and reads that page,
 * and checks every other page here, each next to the seed and the echo Service of
 * manifests/examples/. manifests/examples/ as a whole is checked by IngressExamplesTest.
 */
class DocExamplesTest {
    static final Path DOCS = Path.of("../docs");
    static final Path README = Path.of("../README.md");
    static final Path EXAMPLES = Path.of("../examples");
    static final Path MANIFEST_EXAMPLES = Path.of("../manifests/examples");
    static final Path TESTS = Path.of("src/test/java/dev/gatehouse/app");
    static final String COUNTER_EXAMPLE = "# counter-example";
    static final String CHART_VALUES = "# chart values";

    /** Pages checked block by block by a test of their own, with the objects their examples need. */
    static final Map<String, String> CHECKED_ELSEWHERE = Map.of(
            "ingress.md", "IngressExamplesTest",
            "gateway-api.md", "GatewayApiExamplesTest",
            "tls.md", "TlsCheckTest");

    static List<Path> pages() throws IOException {
        try (Stream<Path> files = Files.list(DOCS)) {
            List<Path> pages = new ArrayList<>(files.filter(p -> p.toString().endsWith(".md")).sorted().toList());
            pages.add(README);
            return pages;
        }
    }

    @Test
    void everyYamlBlockOfTheDocsPassesLocalCheck(@TempDir Path dir) throws IOException {
        int checked = 0;
        for (Path page : pages()) {
            String name = page.getFileName().toString();
            List<String> blocks = LocalCheckTest.yamlBlocks(Files.readString(page));
            List<String> objects = blocks.stream().filter(b -> !b.startsWith(COUNTER_EXAMPLE) && !b.startsWith(CHART_VALUES)).toList();
            for (String b : objects) {
                assertThat(b).as("a YAML block of %s that is neither Kubernetes objects nor marked \"%s\" or \"%s\" "
                        + "in its first line:%n%s", name, COUNTER_EXAMPLE, CHART_VALUES, b).containsPattern("(?m)^kind: ");
            }
            if (objects.isEmpty() || CHECKED_ELSEWHERE.containsKey(name)) {
                continue;
            }
            Path pageDir = Files.createDirectories(dir.resolve(name.replace(".md", "")));
            Files.copy(EXAMPLES.resolve("seed/seed.yaml"), pageDir.resolve("seed.yaml"));
            Files.copy(MANIFEST_EXAMPLES.resolve("service-backed-upstream.yaml"), pageDir.resolve("service-backed-upstream.yaml"));
            for (int i = 0; i < objects.size(); i++) {
                Files.writeString(pageDir.resolve("block-" + i + ".yaml"), objects.get(i));
            }
            LocalCheckTest.Run r = LocalCheckTest.run("local", "--dir", pageDir.toString(), "--check");
            assertThat(r.err()).as("local --check of the YAML blocks of %s", name).isEmpty();
            assertThat(r.exit()).as("local --check of the YAML blocks of %s", name).isZero();
            checked += objects.size();
        }
        assertThat(checked).as("blocks checked here (routing.md and operations.md have some)").isGreaterThanOrEqualTo(4);
    }

    @Test
    void thePagesCheckedElsewhereAreReadByTheirTests() throws IOException {
        for (Map.Entry<String, String> e : CHECKED_ELSEWHERE.entrySet()) {
            assertThat(LocalCheckTest.yamlBlocks(Files.readString(DOCS.resolve(e.getKey()))))
                    .as("%s has YAML blocks (else drop it from CHECKED_ELSEWHERE)", e.getKey()).isNotEmpty();
            String test = Files.readString(TESTS.resolve(e.getValue() + ".java"));
            assertThat(test).as("%s checks docs/%s with local --check", e.getValue(), e.getKey())
                    .contains("docs/" + e.getKey()).contains("\"--check\"").contains("yamlBlocks");
        }
    }

    @Test
    void everyExampleDirectoryPassesLocalCheck() throws IOException {
        List<Path> dirs;
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            dirs = files.filter(Files::isDirectory).sorted().toList();
        }
        assertThat(dirs).extracting(p -> p.getFileName().toString()).contains("seed");
        for (Path d : dirs) {
            LocalCheckTest.Run r = LocalCheckTest.run("local", "--dir", d.toString(), "--check");
            assertThat(r.err()).as("local --check of %s", d).isEmpty();
            assertThat(r.exit()).as("local --check of %s", d).isZero();
        }
    }
}
