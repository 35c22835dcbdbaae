package dev.gatehouse.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The retry budget as {@code gatehouse local --check} sees it: the documented example, and a bad value. */
class RetryBudgetDocTest {
    static final Path OPERATIONS_DOC = Path.of("../docs/operations.md");

    /** The text of the "## Retry budget" section of docs/operations.md. */
    static String section() throws IOException {
        String doc = Files.readString(OPERATIONS_DOC);
        int start = doc.indexOf("\n## Retry budget\n");
        assertThat(start).as("a \"## Retry budget\" section in " + OPERATIONS_DOC).isNotNegative();
        int end = doc.indexOf("\n## ", start + 1);
        return end < 0 ? doc.substring(start) : doc.substring(start, end);
    }

    @Test
    void theExamplesOfTheRetryBudgetSectionPass(@TempDir Path dir) throws IOException {
        Files.copy(LocalCheckTest.SEED.resolve("seed.yaml"), dir.resolve("seed.yaml"));
        List<String> examples = LocalCheckTest.yamlBlocks(section());
        assertThat(examples).as("YAML examples of the Retry budget section").isNotEmpty();
        for (int i = 0; i < examples.size(); i++) {
            Files.writeString(dir.resolve("budget-" + i + ".yaml"), examples.get(i));
        }
        LocalCheckTest.Run r = LocalCheckTest.run("local", "--dir", dir.toString(), "--check");
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("accepted: GatewayService/default/orders");
    }

    @Test
    void aRetryBudgetOutOfRangeNamesFileObjectAndField(@TempDir Path dir) throws IOException {
        Files.copy(LocalCheckTest.SEED.resolve("seed.yaml"), dir.resolve("seed.yaml"));
        Files.writeString(dir.resolve("orders.yaml"), """
                apiVersion: gatehouse.dev/v1alpha1
                kind: GatewayService
                metadata: {name: orders}
                spec: {upstreamRef: {name: moesif}, retryBudget: {percent: 150, minConcurrency: -1}}
                """);
        LocalCheckTest.Run r = LocalCheckTest.run("local", "--dir", dir.toString(), "--check");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().lines()).containsExactlyInAnyOrder(
                "orders.yaml: GatewayService/default/orders: spec.retryBudget.percent: 150 (expected: 0..100, the share of"
                        + " requests in flight that may be retries; default 20)",
                "orders.yaml: GatewayService/default/orders: spec.retryBudget.minConcurrency: -1 (expected: >= 0, the"
                        + " retries always allowed in flight; default 3)");
        assertThat(r.out()).contains("accepted: GatewayService/default/moesif-service");
    }
}
