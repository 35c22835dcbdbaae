package dev.gatehouse.controller.translate;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gatehouse.config.SnapshotCodec;
import dev.gatehouse.controller.files.ManifestReader;
import io.fabric8.kubernetes.api.model.HasMetadata;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Golden files of the Gateway API step: {@code gateway-api/<case>.in.yaml} → {@code <case>.out.json}
 * holding the snapshot and the status of every GatewayClass, Gateway and HTTPRoute that is
 * Gatehouse's, certificates checked at {@link TranslatorGoldenTest#NOW}; a case's first line
 * {@code # default-certificate: NS/NAME} sets the {@code --default-certificate-secret}. Regenerate with {@code -Dgatehouse.regenerate=true} and review the diff. The
 * {@code manifests/examples/gateway-api} case reads the shipped example, so it cannot drift.
 */
class GatewayApiGoldenTest {
    static final Path DIR = Path.of("src/test/resources/gateway-api");
    static final Path EXAMPLE = Path.of("../manifests/examples/gateway-api.yaml");

    @TestFactory
    Stream<DynamicTest> goldenFiles() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        tests.add(DynamicTest.dynamicTest("example", () -> check("example", TranslatorGoldenTest.read(EXAMPLE),
                TlsSettings.at(TranslatorGoldenTest.NOW))));
        try (Stream<Path> files = Files.list(DIR)) {
            for (Path in : files.filter(p -> p.toString().endsWith(".in.yaml")).sorted().toList()) {
                String name = in.getFileName().toString().replace(".in.yaml", "");
                java.util.regex.Matcher m = TranslatorGoldenTest.DEFAULT_CERTIFICATE.matcher(Files.readString(in));
                TlsSettings tls = new TlsSettings(m.find() ? m.group(1) : null, TranslatorGoldenTest.NOW);
                tests.add(DynamicTest.dynamicTest(name, () -> check(name, TranslatorGoldenTest.read(in), tls)));
            }
        }
        assertThat(tests).hasSizeGreaterThanOrEqualTo(7);
        tests.add(DynamicTest.dynamicTest("no golden file without its input", () -> {
            try (Stream<Path> files = Files.list(DIR)) {
                List<String> orphans = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".out.json"))
                        .map(n -> n.replace(".out.json", ""))
                        .filter(n -> !n.equals("example") && !Files.exists(DIR.resolve(n + ".in.yaml"))).toList();
                assertThat(orphans).as("golden files in %s without their .in.yaml", DIR).isEmpty();
            }
        }));
        return tests.stream();
    }

    private static void check(String name, List<HasMetadata> objects, TlsSettings tls) throws IOException {
        Translation t = Translator.translate(ManifestReader.state(objects), tls);
        ObjectNode out = SnapshotCodec.mapper().createObjectNode();
        out.set("snapshot", SnapshotCodec.mapper().valueToTree(t.snapshot()));
        out.set("gatewayApi", SnapshotCodec.mapper().valueToTree(t.gatewayApi()));
        String actual = SnapshotCodec.toPrettyJson(out) + "\n";
        assertThat(SnapshotCodec.toJson(Translator.translate(ManifestReader.state(objects), tls).snapshot()))
                .as("same input, same bytes").isEqualTo(SnapshotCodec.toJson(t.snapshot()));
        Path golden = DIR.resolve(name + ".out.json");
        if (Boolean.getBoolean("gatehouse.regenerate")) {
            Files.writeString(golden, actual);
        }
        assertThat(golden).as("%s is missing; write it with -Dgatehouse.regenerate=true and review it", golden).exists();
        assertThat(actual).as("%s differs; regenerate with -Dgatehouse.regenerate=true and review the diff", golden)
                .isEqualTo(Files.readString(golden));
    }
}
