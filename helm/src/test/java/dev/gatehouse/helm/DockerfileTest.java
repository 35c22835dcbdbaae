package dev.gatehouse.helm;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The image both Deployments run (Docker is not available to tests; the file is checked as text). */
class DockerfileTest {
    /** Where the image keeps its AppCDS archive; JDK_JAVA_OPTIONS and the chart's javaOpts name it. */
    static final String ARCHIVE = "/opt/gatehouse/gatehouse.jsa";
    static final String JAR = "/opt/gatehouse/gatehouse.jar";

    static List<String> instructions() throws IOException {
        return Files.readAllLines(Chart.REPO.resolve("Dockerfile")).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }

    @Test
    void buildsWithTheJdkAndRunsOnTheJreAsUser10001() throws IOException {
        List<String> lines = instructions();
        assertThat(lines).filteredOn(l -> l.startsWith("FROM ")).containsExactly(
                "FROM --platform=$BUILDPLATFORM eclipse-temurin:17-jdk AS build", "FROM eclipse-temurin:17-jre");
        assertThat(lines).filteredOn(l -> l.startsWith("RUN ") && l.contains("./mvnw"))
                .singleElement().asString().endsWith("./mvnw -B -q -DskipTests -pl app -am package");
        assertThat(lines).filteredOn(l -> l.startsWith("USER ")).last().isEqualTo("USER 10001:10001");
        assertThat(lines).filteredOn(l -> l.startsWith("ENTRYPOINT ")).containsExactly(
                "ENTRYPOINT [\"java\", \"-jar\", \"/opt/gatehouse/gatehouse.jar\"]");
        assertThat(lines).anyMatch(l -> l.startsWith("COPY --from=build") && l.contains("app/target/gatehouse.jar")
                && l.endsWith("/opt/gatehouse/gatehouse.jar"));
    }

    /**
     * The image's JVM options are the controller's default javaOpts, so an empty javaOpts changes
     * nothing there; the proxy's are the same and a fixed young generation, nothing else (the archive
     * and the collector stay in step).
     */
    @Test
    void theImageJvmOptionsAreTheChartDefaults() throws IOException {
        assertThat(instructions()).filteredOn(l -> l.startsWith("ENV JDK_JAVA_OPTIONS=")).containsExactly(
                "ENV JDK_JAVA_OPTIONS=\"" + TuningChartTest.DEFAULT_JAVA_OPTS + "\"");
        Map<String, Object> values = Chart.yamlMap(Files.readString(Chart.DIR.resolve("values.yaml")));
        assertThat(((Map<?, ?>) values.get("controller")).get("javaOpts")).as("controller.javaOpts")
                .isEqualTo(TuningChartTest.DEFAULT_JAVA_OPTS);
        assertThat(((Map<?, ?>) values.get("proxy")).get("javaOpts")).as("proxy.javaOpts")
                .as("the image's defaults with the serial collector and a fixed young generation")
                .isEqualTo(TuningChartTest.DEFAULT_JAVA_OPTS.replace("-XX:+UseParallelGC", "-XX:+UseSerialGC") + " -Xmn64m")
                .isEqualTo(TuningChartTest.PROXY_JAVA_OPTS);
    }

    /**
     * The archive is trained in the run stage (the JRE that will map it), on the jar at the path the
     * ENTRYPOINT gives (an archive is used only with the class path it was written with), after the
     * jar is in place and before the image drops root; the script it runs is in the build context.
     */
    @Test
    void theAppCdsArchiveIsTrainedInTheRunStageOnTheJarTheEntrypointRuns() throws IOException {
        List<String> lines = instructions();
        int runStage = lines.indexOf("FROM eclipse-temurin:17-jre");
        int jar = indexOf(lines, l -> l.startsWith("COPY --from=build") && l.endsWith(JAR));
        int script = lines.indexOf("COPY bench/cds-train.sh /tmp/cds-train.sh");
        int training = indexOf(lines, l -> l.startsWith("RUN /tmp/cds-train.sh "));
        int user = lines.indexOf("USER 10001:10001");
        assertThat(lines.get(training)).startsWith("RUN /tmp/cds-train.sh " + JAR + " " + ARCHIVE + " ");
        assertThat(List.of(runStage, jar, script, training, user)).as("run stage, jar, script, training, USER in this order")
                .doesNotContain(-1).isSorted();
        assertThat(lines.get(lines.size() - 1)).contains("\"-jar\", \"" + JAR + "\"");
        assertThat(Files.isExecutable(Chart.REPO.resolve("bench/cds-train.sh"))).as("bench/cds-train.sh is executable").isTrue();
        List<String> ignored = Files.readAllLines(Chart.REPO.resolve(".dockerignore")).stream().map(String::strip).toList();
        assertThat(ignored).as("bench/ is left out of the build context except the training script")
                .containsSubsequence("bench/", "!bench/cds-train.sh");
    }

    private static int indexOf(List<String> lines, java.util.function.Predicate<String> p) {
        for (int i = 0; i < lines.size(); i++) {
            if (p.test(lines.get(i))) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void theBuildContextKeepsEveryModulePom() throws IOException {
        List<String> ignored = Files.readAllLines(Chart.REPO.resolve(".dockerignore")).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        for (String module : List.of("crds", "config", "controller", "proxy", "app", "helm", "e2e")) {
            assertThat(ignored).as("Maven needs %s/pom.xml in the build context", module)
                    .doesNotContain(module, module + "/", module + "/pom.xml");
        }
    }

    @Test
    void theChartRunsThisImageAsTheSameUser() throws IOException {
        assertThat(Files.readString(Chart.DIR.resolve("values.yaml"))).containsPattern("(?m)^  repository: [a-z0-9./-]+/gatehouse$");
        assertThat(Files.readString(Chart.DIR.resolve("templates/_helpers.tpl"))).contains("runAsUser: 10001");
    }
}
