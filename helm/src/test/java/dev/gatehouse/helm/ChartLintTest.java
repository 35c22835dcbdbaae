package dev.gatehouse.helm;

import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The chart as Helm sees it: strict lint, its schema, and its CRDs. */
class ChartLintTest {

    @Test
    void lintPassesStrict() {
        LintResult result = Chart.helm().lint().strict().call();
        assertThat(result.isFailed()).as("helm lint --strict: %s", result.getMessages()).isFalse();
    }

    @Test
    void rendersWithDefaultAndNonDefaultValues() {
        assertThat(Chart.parse(Chart.renderDefault())).isNotEmpty();
        assertThat(Chart.parse(Chart.renderNamespaced())).isNotEmpty();
    }

    @Test
    void schemaRejectsAWrongType() {
        assertThatThrownBy(() -> Chart.template().set("proxy.replicas", "two").call())
                .hasMessageContaining("replicas");
    }

    @Test
    void schemaRejectsAnUnknownTopLevelValue() {
        assertThatThrownBy(() -> Chart.template().set("replicas", 3).call())
                .hasMessageContaining("replicas");
    }

    @Test
    void schemaRejectsAnUnknownServiceType() {
        assertThatThrownBy(() -> Chart.template().set("proxy.service.type", "Ingress").call())
                .hasMessageContaining("type");
    }

    /**
     * The chart's crds/ holds exactly the CRDs generated in the repository's crds/ module. After they
     * change there, copy them with {@code ./mvnw -B -pl helm -am verify -Dgatehouse.regenerate=true}.
     */
    @Test
    void chartCrdsEqualTheRepositoryCrdsByteForByte() throws IOException {
        Path source = Chart.REPO.resolve("crds");
        Path chart = Chart.DIR.resolve("crds");
        List<Path> generated = ymlFiles(source);
        assertThat(generated).as("../crds/*.yml").isNotEmpty();
        if (Boolean.getBoolean("gatehouse.regenerate")) {
            for (Path stale : ymlFiles(chart)) {
                Files.delete(stale);
            }
            for (Path crd : generated) {
                Files.copy(crd, chart.resolve(crd.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        String hint = "; copy them with ./mvnw -B -pl helm -am verify -Dgatehouse.regenerate=true and commit";
        assertThat(ymlFiles(chart)).extracting(p -> p.getFileName().toString())
                .as("helm/gatehouse/crds/ must hold exactly the files of crds/*.yml" + hint)
                .containsExactlyElementsOf(generated.stream().map(p -> p.getFileName().toString()).toList());
        for (Path crd : generated) {
            assertThat(Files.readAllBytes(chart.resolve(crd.getFileName())))
                    .as("helm/gatehouse/crds/%s differs from crds/%s%s", crd.getFileName(), crd.getFileName(), hint)
                    .isEqualTo(Files.readAllBytes(crd));
        }
        assertThat(Chart.parse(concat(generated))).hasSize(generated.size());
    }

    static List<Path> ymlFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".yml")).sorted().toList();
        }
    }

    static String concat(List<Path> files) throws IOException {
        StringBuilder out = new StringBuilder();
        for (Path f : files) {
            out.append("---\n").append(Files.readString(f));
        }
        return out.toString();
    }
}
