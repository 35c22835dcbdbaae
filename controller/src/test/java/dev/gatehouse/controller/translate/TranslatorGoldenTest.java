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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Golden files: {@code translator/<case>.in.yaml} → {@code <case>.out.json} holding the snapshot
 * and the status of every object. The {@code seed} case reads {@code examples/seed/}, so the
 * example can never drift from what is tested. Regenerate with
 * {@code ./mvnw -B -pl controller -am verify -Dgatehouse.regenerate=true} and review the diff.
 */
class TranslatorGoldenTest {
    static final Path DIR = Path.of("src/test/resources/translator");
    /** The clock of every case, so certificate expiry gives the same bytes on any day. */
    static final Instant NOW = Instant.parse("2026-06-01T00:00:00Z");
    /** A case's first lines may set {@code # default-certificate: NAMESPACE/NAME}, as the controller flag does. */
    static final Pattern DEFAULT_CERTIFICATE = Pattern.compile("(?m)^# default-certificate: (\\S+)$");
    static final Path SEED = Path.of("../examples/seed");

    @TestFactory
    Stream<DynamicTest> goldenFiles() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        tests.add(DynamicTest.dynamicTest("seed", () -> check("seed", readDir(SEED), TlsSettings.at(NOW))));
        try (Stream<Path> files = Files.list(DIR)) {
            for (Path in : files.filter(p -> p.toString().endsWith(".in.yaml")).sorted().toList()) {
                String name = in.getFileName().toString().replace(".in.yaml", "");
                Matcher m = DEFAULT_CERTIFICATE.matcher(Files.readString(in));
                TlsSettings tls = new TlsSettings(m.find() ? m.group(1) : null, NOW);
                tests.add(DynamicTest.dynamicTest(name, () -> check(name, read(in), tls)));
            }
        }
        assertThat(tests).hasSizeGreaterThanOrEqualTo(9);
        tests.add(DynamicTest.dynamicTest("no golden file without its input", TranslatorGoldenTest::noOrphans));
        return tests.stream();
    }

    /** A golden file whose input was renamed or removed would be checked by nothing: it fails instead. */
    static void noOrphans() throws IOException {
        try (Stream<Path> files = Files.list(DIR)) {
            List<String> orphans = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".out.json"))
                    .map(n -> n.replace(".out.json", ""))
                    .filter(name -> !name.equals("seed") && !Files.exists(DIR.resolve(name + ".in.yaml"))).toList();
            assertThat(orphans).as("golden files in %s without their .in.yaml: delete them or restore the input", DIR).isEmpty();
        }
    }

    static List<HasMetadata> read(Path file) throws IOException {
        ManifestReader.Result r = ManifestReader.read(file.getFileName().toString(), Files.readString(file));
        assertThat(r.errors()).as("read errors in " + file).isEmpty();
        return r.objects();
    }

    static List<HasMetadata> readDir(Path dir) throws IOException {
        List<HasMetadata> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                all.addAll(read(f));
            }
        }
        return all;
    }

    private static void check(String name, List<HasMetadata> objects, TlsSettings tls) throws IOException {
        Translation t = Translator.translate(ManifestReader.state(objects), tls);
        ObjectNode out = SnapshotCodec.mapper().createObjectNode();
        out.set("snapshot", SnapshotCodec.mapper().valueToTree(t.snapshot()));
        out.set("statuses", SnapshotCodec.mapper().valueToTree(t.statuses()));
        if (t.defaultCertificate() != null) {
            out.set("defaultCertificate", SnapshotCodec.mapper().valueToTree(t.defaultCertificate()));
        }
        String actual = SnapshotCodec.toPrettyJson(out) + "\n";
        // same input, same bytes
        assertThat(SnapshotCodec.toJson(Translator.translate(ManifestReader.state(objects), tls).snapshot()))
                .isEqualTo(SnapshotCodec.toJson(t.snapshot()));
        Path golden = DIR.resolve(name + ".out.json");
        if (Boolean.getBoolean("gatehouse.regenerate")) {
            Files.writeString(golden, actual);
        }
        assertThat(golden).as("%s is missing; write it with -Dgatehouse.regenerate=true and review it", golden).exists();
        assertThat(actual).as("%s differs; regenerate with -Dgatehouse.regenerate=true and review the diff", golden)
                .isEqualTo(Files.readString(golden));
    }
}
