package dev.gatehouse.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code gatehouse local --check} on the Ingress examples: manifests/examples/ as a whole, and every
 * YAML block of docs/ingress.md next to the echo Service and the TLS Secret of manifests/examples/ (a block that is a
 * counter-example says so in its first line and is left out).
 */
class IngressExamplesTest {
    static final Path EXAMPLES = Path.of("../manifests/examples");
    static final Path DOC = Path.of("../docs/ingress.md");

    @Test
    void theManifestExamplesPass(@TempDir Path dir) throws IOException {
        try (var files = Files.list(EXAMPLES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                Files.copy(f, dir.resolve(f.getFileName()));
            }
        }
        LocalCheckTest.Run r = LocalCheckTest.run("local", "--dir", dir.toString(), "--check");
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("accepted: Ingress/default/echo");
    }

    @Test
    void theIngressDocExamplesPass(@TempDir Path dir) throws IOException {
        Files.copy(EXAMPLES.resolve("service-backed-upstream.yaml"), dir.resolve("service-backed-upstream.yaml"));
        Files.copy(EXAMPLES.resolve("tls.yaml"), dir.resolve("tls.yaml")); // the Secret of the TLS example
        List<String> blocks = LocalCheckTest.yamlBlocks(Files.readString(DOC)).stream()
                .filter(b -> !b.startsWith("# counter-example")).toList();
        assertThat(blocks).as("YAML examples in " + DOC).hasSizeGreaterThanOrEqualTo(3);
        for (int i = 0; i < blocks.size(); i++) {
            Files.writeString(dir.resolve("ingress-doc-" + i + ".yaml"), blocks.get(i));
        }
        LocalCheckTest.Run r = LocalCheckTest.run("local", "--dir", dir.toString(), "--check");
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        Matcher named = Pattern.compile("(?m)^kind: Ingress\\nmetadata:\\n  name: ([a-z0-9-]+)").matcher(String.join("\n", blocks));
        int ingresses = 0;
        while (named.find()) {
            ingresses++;
            assertThat(r.out()).contains("accepted: Ingress/default/" + named.group(1));
        }
        assertThat(ingresses).as("Ingresses written as `kind: Ingress`, `metadata:`, `  name: n` in the doc").isPositive();
    }
}
