package dev.gatehouse.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code gatehouse local --check} on every YAML block of docs/gateway-api.md, next to the echo
 * Services and the HTTPS example (for its Secret) of manifests/examples/ (a block that is a counter-example says so in its first line and
 * is checked on its own, for the route it shows). manifests/examples/gateway-api.yaml is checked
 * with the other examples by IngressExamplesTest and by the translator's golden files.
 */
class GatewayApiExamplesTest {
    static final Path EXAMPLES = Path.of("../manifests/examples");
    static final Path DOC = Path.of("../docs/gateway-api.md");

    @Test
    void theDocExamplesPass(@TempDir Path dir) throws IOException {
        Files.copy(EXAMPLES.resolve("service-backed-upstream.yaml"), dir.resolve("service-backed-upstream.yaml"));
        Files.copy(EXAMPLES.resolve("gateway-api-https.yaml"), dir.resolve("gateway-api-https.yaml")); // its Secret
        Files.writeString(dir.resolve("canary.yaml"), """
                apiVersion: v1
                kind: Service
                metadata: {name: echo-canary}
                spec:
                  ports: [{name: http, port: 80}]
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: payments, namespace: payments}
                spec:
                  ports: [{name: http, port: 80}]
                """);
        List<String> blocks = LocalCheckTest.yamlBlocks(Files.readString(DOC)).stream()
                .filter(b -> !b.startsWith("# counter-example")).toList();
        assertThat(blocks).as("YAML examples in " + DOC).hasSizeGreaterThanOrEqualTo(2);
        for (int i = 0; i < blocks.size(); i++) {
            Files.writeString(dir.resolve("gateway-api-doc-" + i + ".yaml"), blocks.get(i));
        }
        LocalCheckTest.Run r = LocalCheckTest.run("local", "--dir", dir.toString(), "--check");
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("accepted: GatewayClass/default/gatehouse", "accepted: Gateway/default/web",
                "accepted: HTTPRoute/default/shop", "accepted: Gateway/default/web-tls", "accepted: HTTPRoute/default/tls-shop",
                "accepted: HTTPRoute/default/keyed", "accepted: HTTPRoute/default/sticky", "accepted: Upstream/default/echo-by-user");
    }

    @Test
    void theCounterExampleIsReportedWithItsField(@TempDir Path dir) throws IOException {
        Files.copy(EXAMPLES.resolve("service-backed-upstream.yaml"), dir.resolve("service-backed-upstream.yaml"));
        List<String> blocks = LocalCheckTest.yamlBlocks(Files.readString(DOC));
        Files.writeString(dir.resolve("doc.yaml"), blocks.get(0));
        Files.writeString(dir.resolve("counter.yaml"), blocks.stream().filter(b -> b.startsWith("# counter-example"))
                .findFirst().orElseThrow());
        LocalCheckTest.Run r = LocalCheckTest.run("local", "--dir", dir.toString(), "--check");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("counter.yaml: HTTPRoute/default/partly parent web: PartiallyInvalid=True UnsupportedValue: "
                + "spec.rules[1]: filters[0].type: RequestMirror is not supported yet; requests this rule matches get 500");
    }
}
