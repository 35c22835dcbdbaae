package dev.gatehouse.app;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code gatehouse local --check} on TLS: the example of manifests/examples/tls.yaml and every YAML
 * block of docs/tls.md pass; a broken Secret and a bad {@code --default-certificate-secret} fail it
 * with the messages the controller writes in a cluster.
 */
class TlsCheckTest {
    static final Path EXAMPLES = Path.of("../manifests/examples");
    static final Path DOC = Path.of("../docs/tls.md");

    static void copyExamples(Path dir) throws IOException {
        for (String f : List.of("service-backed-upstream.yaml", "tls.yaml")) {
            Files.copy(EXAMPLES.resolve(f), dir.resolve(f));
        }
    }

    @Test
    void theExampleAndTheDocExamplesPass(@TempDir Path dir) throws IOException {
        copyExamples(dir);
        List<String> blocks = LocalCheckTest.yamlBlocks(Files.readString(DOC)).stream()
                .filter(b -> !b.startsWith("# counter-example")).toList();
        assertThat(blocks).as("YAML examples in " + DOC).hasSizeGreaterThanOrEqualTo(2);
        for (int i = 0; i < blocks.size(); i++) {
            Files.writeString(dir.resolve("tls-doc-" + i + ".yaml"), blocks.get(i));
        }
        LocalCheckTest.Run r = LocalCheckTest.run("local", "--dir", dir.toString(), "--check",
                "--default-certificate-secret", "default/secure-tls");
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("accepted: GatewayRoute/default/echo-secure", "accepted: GatewayRoute/default/secure-api",
                "skipped: Certificate/default/secure (not a kind Gatehouse reads)", "1 certificate in the snapshot; 0 problems");
    }

    @Test
    void aBrokenSecretFailsTheCheckNamingTheFieldAndTheFix(@TempDir Path dir) throws IOException {
        copyExamples(dir);
        String example = Files.readString(dir.resolve("tls.yaml"));
        Files.writeString(dir.resolve("tls.yaml"), example.replace("type: kubernetes.io/tls", "type: Opaque"));
        LocalCheckTest.Run r = LocalCheckTest.run("local", "--dir", dir.toString(), "--check");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().lines()).containsExactly("tls.yaml: GatewayRoute/default/echo-secure: spec.tls.secretName: "
                + "Secret \"secure-tls\": has type \"Opaque\" (fix: a Secret of type kubernetes.io/tls, e.g. kubectl create "
                + "secret tls NAME --cert=tls.crt --key=tls.key); until then these hosts are served over plain HTTP only");
        assertThat(r.err()).doesNotContain("PRIVATE KEY");
    }

    @Test
    void aBadDefaultCertificateFailsTheCheckAndAMalformedFlagIsAUsageError(@TempDir Path dir) throws IOException {
        copyExamples(dir);
        LocalCheckTest.Run missing = LocalCheckTest.run("local", "--dir", dir.toString(), "--check",
                "--default-certificate-secret", "gatehouse-system/edge-tls");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("--default-certificate-secret gatehouse-system/edge-tls: Secret \"edge-tls\": "
                + "not found in namespace gatehouse-system (fix: create a kubernetes.io/tls Secret \"edge-tls\" there");
        LocalCheckTest.Run malformed = LocalCheckTest.run("local", "--dir", dir.toString(), "--check",
                "--default-certificate-secret", "edge-tls");
        assertThat(malformed.exit()).isEqualTo(2);
        assertThat(malformed.err()).contains("--default-certificate-secret: \"edge-tls\" (expected: NAMESPACE/NAME");
        LocalCheckTest.Run controller = LocalCheckTest.run("controller", "--token-file", "/nonexistent",
                "--default-certificate-secret", "Edge/TLS");
        assertThat(controller.exit()).isEqualTo(2);
        assertThat(controller.err()).contains("--default-certificate-secret: \"Edge/TLS\" (expected: NAMESPACE/NAME");
    }
}
