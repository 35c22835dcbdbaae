package dev.gatehouse.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The release workflow publishes what the chart runs by default and what the docs install: it reads
 * the image repository from values.yaml, builds it for amd64 and arm64, pushes the chart next to
 * it and attaches manifests/gatehouse.yaml; getting-started.md, the README and the all-in-one
 * manifest name the same image, chart and version. CI runs the same command as .ci/run.
 */
class ReleaseWorkflowTest {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final Path WORKFLOWS = Chart.REPO.resolve(".github/workflows");

    static JsonNode yaml(Path file) throws IOException {
        return YAML.readTree(file.toFile());
    }

    static String image() throws IOException {
        return yaml(Chart.DIR.resolve("values.yaml")).at("/image/repository").asText();
    }

    static String appVersion() throws IOException {
        return yaml(Chart.DIR.resolve("Chart.yaml")).path("appVersion").asText();
    }

    static JsonNode step(JsonNode job, String uses) {
        for (JsonNode s : job.path("steps")) {
            if (s.path("uses").asText().startsWith(uses + "@")) {
                return s;
            }
        }
        throw new AssertionError("no step uses " + uses + " in " + job);
    }

    static String runs(JsonNode job) {
        StringBuilder all = new StringBuilder();
        job.path("steps").forEach(s -> all.append(s.path("run").asText()).append('\n'));
        return all.toString();
    }

    @Test
    void theChartsDefaultImageIsARegistryOwnerAndName() throws IOException {
        assertThat(image()).matches("[a-z0-9.-]+\\.[a-z]+/[a-z0-9-]+/gatehouse");
        JsonNode chart = yaml(Chart.DIR.resolve("Chart.yaml"));
        assertThat(chart.path("version").asText()).as("Chart.yaml version = appVersion (the release tag is both)")
                .isEqualTo(appVersion());
    }

    @Test
    void theReleasePublishesTheImageTheChartNamesForBothPlatforms() throws IOException {
        JsonNode release = yaml(WORKFLOWS.resolve("release.yml"));
        JsonNode publish = release.at("/jobs/publish");
        assertThat(publish.path("needs").asText()).isEqualTo("test");
        assertThat(runs(release.at("/jobs/test"))).contains("./mvnw -B verify");
        String names = runs(publish);
        assertThat(names).as("the image is read from values.yaml, never written twice")
                .contains("image=$(yq '.image.repository' helm/gatehouse/values.yaml)")
                .contains("echo \"charts=oci://${image%/*}/charts\"")
                .contains("echo \"version=${GITHUB_REF_NAME#v}\"");
        JsonNode build = step(publish, "docker/build-push-action").path("with");
        assertThat(build.path("platforms").asText()).isEqualTo("linux/amd64,linux/arm64");
        assertThat(build.path("push").asBoolean()).isTrue();
        assertThat(build.path("tags").asText()).isEqualTo("${{ steps.names.outputs.image }}:${{ steps.names.outputs.version }}");
        step(publish, "docker/setup-qemu-action");
        assertThat(names).contains("helm package helm/gatehouse")
                .contains("helm push \"dist/gatehouse-${{ steps.names.outputs.version }}.tgz\" \"${{ steps.names.outputs.charts }}\"")
                .contains("gh release create \"$GITHUB_REF_NAME\" manifests/gatehouse.yaml");
        assertThat(runs(release.at("/jobs/test"))).as("a tag that is not the chart's version is refused")
                .contains("yq '.version' helm/gatehouse/Chart.yaml").contains("yq '.appVersion' helm/gatehouse/Chart.yaml");
        assertThat(publish.at("/permissions/packages").asText()).isEqualTo("write");
        assertThat(publish.at("/permissions/contents").asText()).isEqualTo("write");
    }

    @Test
    void theDocsInstallWhatTheReleasePublishes() throws IOException {
        String image = image();
        String version = appVersion();
        String charts = "oci://" + image.substring(0, image.lastIndexOf('/')) + "/charts";
        String owner = image.split("/")[1];
        String helmInstall = "helm install gatehouse " + charts + "/gatehouse --version " + version;
        String gettingStarted = Files.readString(Chart.REPO.resolve("docs/getting-started.md"));
        assertThat(gettingStarted).contains(helmInstall)
                .contains("https://github.com/" + owner + "/gatehouse/releases/download/v" + version + "/gatehouse.yaml")
                .contains("sed 's|" + image + ":|gatehouse:|'")
                .as("the build-it-yourself path for kind and minikube stays")
                .contains("docker build -t gatehouse:" + version + " .", "kind load docker-image gatehouse:" + version,
                        "minikube image load gatehouse:" + version, "--set image.repository=gatehouse");
        assertThat(Files.readString(Chart.REPO.resolve("README.md"))).contains(helmInstall);
        assertThat(Files.readString(Chart.REPO.resolve("docs/release.md"))).contains(image + ":X.Y.Z", charts + "/gatehouse");
        List<String> images = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^\\s+image: \"(.*)\"$").matcher(Files.readString(AllInOne.FILE));
        while (m.find()) {
            images.add(m.group(1));
        }
        assertThat(images).as("manifests/gatehouse.yaml runs the released image").hasSize(2)
                .containsOnly(image + ":" + version);
    }

    @Test
    void ciRunsWhatDotCiRunRuns() throws IOException {
        JsonNode ci = yaml(WORKFLOWS.resolve("ci.yml"));
        assertThat(runs(ci.at("/jobs/test"))).contains("./mvnw -B verify");
        assertThat(step(ci.at("/jobs/test"), "actions/setup-java").at("/with/java-version").asText()).isEqualTo("17");
        assertThat(Files.readString(Chart.REPO.resolve(".ci/run"))).contains("exec ./mvnw -B verify");
        assertThat(step(ci.at("/jobs/image"), "docker/build-push-action").at("/with/push").asBoolean()).isFalse();
    }
}
