package dev.gatehouse.helm;

import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The chart as Helm sees it: strict lint, a render of each values set, and its CRDs. */
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

    /**
     * The chart's crds/ holds exactly the CRDs generated in the repository's crds/ module. After they
     * change there, copy them with {@code ./mvnw -B -pl helm -am verify -Dgatehouse.regenerate=true}.
     */
    @Test
    void chartCrdsEqualTheRepositoryCrdsByteForByte() throws IOException {
        List<Path> generated = AllInOne.ymlFiles(Chart.REPO.resolve("crds"));
        assertThat(generated).as("../crds/*.yml").isNotEmpty();
        List<Path> chart = AllInOne.crds();
        String hint = "; copy them with " + AllInOne.REGENERATE + " and commit";
        assertThat(chart).extracting(p -> p.getFileName().toString())
                .as("helm/gatehouse/crds/ must hold exactly the files of crds/*.yml" + hint)
                .containsExactlyElementsOf(generated.stream().map(p -> p.getFileName().toString()).toList());
        for (Path crd : generated) {
            assertThat(Files.readAllBytes(Chart.DIR.resolve("crds").resolve(crd.getFileName())))
                    .as("helm/gatehouse/crds/%s differs from crds/%s%s", crd.getFileName(), crd.getFileName(), hint)
                    .isEqualTo(Files.readAllBytes(crd));
        }
        StringBuilder all = new StringBuilder();
        for (Path crd : chart) {
            all.append("---\n").append(Files.readString(crd));
        }
        assertThat(Chart.parse(all.toString())).extracting(o -> o.getMetadata().getName()).containsExactlyInAnyOrder(
                "upstreams.gatehouse.dev", "gatewayservices.gatehouse.dev", "gatewayroutes.gatehouse.dev",
                "consumers.gatehouse.dev", "keyauthfilters.gatehouse.dev");
    }
}
