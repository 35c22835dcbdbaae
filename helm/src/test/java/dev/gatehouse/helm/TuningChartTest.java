package dev.gatehouse.helm;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The chart can be tuned without forking it: JVM options, extra arguments and environment,
 * pod labels, scheduling, priority, the proxy Service's traffic policy and a pinned image digest,
 * each rendered where Kubernetes reads it, and nothing of it by default.
 */
class TuningChartTest {
    static final Path TUNING = Path.of("src/test/resources/values-tuning.yaml");
    static final String DEFAULT_JAVA_OPTS = "-XX:+UseParallelGC -XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -XX:-UsePerfData"
            + " -XX:SharedArchiveFile=" + DockerfileTest.ARCHIVE;
    /** The proxy's: the image's defaults with the serial collector and a fixed young generation (docs/decisions.md, "The proxy's JVM flags"). */
    static final String PROXY_JAVA_OPTS = DEFAULT_JAVA_OPTS.replace("-XX:+UseParallelGC", "-XX:+UseSerialGC") + " -Xmn64m";
    static final String DIGEST = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    static PodSpec pod(List<HasMetadata> objects, String name) {
        return Chart.one(objects, Deployment.class, name).getSpec().getTemplate().getSpec();
    }

    static Container container(List<HasMetadata> objects, String name) {
        return pod(objects, name).getContainers().get(0);
    }

    static String env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst().map(EnvVar::getValue).orElse(null);
    }

    @Test
    void defaultsSizeTheHeapFromTheLimitAndAddNothingElse() {
        List<HasMetadata> objects = Chart.parse(Chart.renderDefault());
        for (String name : List.of("gatehouse-proxy", "gatehouse-controller")) {
            Container c = container(objects, name);
            assertThat(env(c, "JDK_JAVA_OPTIONS")).as(name).isEqualTo(name.endsWith("proxy") ? PROXY_JAVA_OPTS : DEFAULT_JAVA_OPTS);
            assertThat(c.getImage()).isEqualTo("ghcr.io/gatehouse-dev/gatehouse:0.1.0");
            PodSpec pod = pod(objects, name);
            assertThat(pod.getPriorityClassName()).isNull();
            assertThat(pod.getTopologySpreadConstraints()).isEmpty();
            assertThat(Chart.one(objects, Deployment.class, name).getSpec().getTemplate().getMetadata().getLabels())
                    .containsOnlyKeys("helm.sh/chart", "app.kubernetes.io/name", "app.kubernetes.io/instance",
                            "app.kubernetes.io/version", "app.kubernetes.io/managed-by", "app.kubernetes.io/part-of",
                            "app.kubernetes.io/component");
        }
        assertThat(Chart.one(objects, Service.class, "gatehouse-proxy").getSpec().getExternalTrafficPolicy()).isNull();
    }

    /**
     * The default options are ones this JVM accepts, and they mean what the values say. The archive
     * they name is not on this machine: the JVM runs without it rather than failing, which is what a
     * JVM does in the image when the archive does not match it.
     */
    @Test
    void theDefaultJavaOptsAreValidJvmFlags() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder withOpts = new ProcessBuilder(java.toString(), "-XX:+PrintFlagsFinal", "-version").redirectErrorStream(true);
        withOpts.environment().put("JDK_JAVA_OPTIONS", PROXY_JAVA_OPTS);
        Process run = withOpts.start();
        String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(run.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(run.exitValue()).as(out).isZero();
        assertThat(out).contains("Picked up JDK_JAVA_OPTIONS: " + PROXY_JAVA_OPTS)
                .containsPattern("size_t NewSize\\s+= " + 64 * 1024 * 1024)
                .containsPattern("size_t MaxNewSize\\s+= " + 64 * 1024 * 1024)
                .containsPattern("bool UseSerialGC\\s+= true")
                .containsPattern("bool UseParallelGC\\s+= false")
                .containsPattern("double MaxRAMPercentage\\s+= 75")
                .containsPattern("bool ExitOnOutOfMemoryError\\s+= true")
                .containsPattern("bool UsePerfData\\s+= false")
                .containsPattern("ccstr SharedArchiveFile\\s+= " + DockerfileTest.ARCHIVE);
    }

    @Test
    void everyTuningValueLandsWhereKubernetesReadsIt() {
        List<HasMetadata> objects = Chart.parse(Chart.template().withValuesFile(TUNING).call());
        Container proxy = container(objects, "gatehouse-proxy");
        assertThat(proxy.getImage()).isEqualTo("ghcr.io/gatehouse-dev/gatehouse@" + DIGEST);
        assertThat(env(proxy, "JDK_JAVA_OPTIONS")).isEqualTo("-XX:+UseG1GC -XX:MaxRAMPercentage=60");
        assertThat(env(proxy, "GATEHOUSE_LOG_LEVEL")).isEqualTo("DEBUG");
        assertThat(proxy.getEnv()).as("the chart's own env stays, the extra comes last").extracting(EnvVar::getName)
                .containsExactly("POD_IP", "JDK_JAVA_OPTIONS", "GATEHOUSE_LOG_LEVEL");
        assertThat(proxy.getArgs()).as("appended after the chart's").endsWith("--io-threads", "2").contains("--access-log");
        PodSpec pod = pod(objects, "gatehouse-proxy");
        assertThat(pod.getPriorityClassName()).isEqualTo("system-cluster-critical");
        TopologySpreadConstraint spread = pod.getTopologySpreadConstraints().get(0);
        assertThat(spread.getTopologyKey()).isEqualTo("topology.kubernetes.io/zone");
        assertThat(spread.getWhenUnsatisfiable()).isEqualTo("ScheduleAnyway");
        Deployment d = Chart.one(objects, Deployment.class, "gatehouse-proxy");
        assertThat(spread.getLabelSelector().getMatchLabels()).as("filled with the component's selector")
                .isEqualTo(d.getSpec().getSelector().getMatchLabels());
        assertThat(d.getSpec().getTemplate().getMetadata().getLabels()).containsEntry("team", "edge")
                .containsAllEntriesOf(d.getSpec().getSelector().getMatchLabels());
        assertThat(d.getSpec().getSelector().getMatchLabels()).doesNotContainKey("team");
        Service svc = Chart.one(objects, Service.class, "gatehouse-proxy");
        assertThat(svc.getSpec().getType()).isEqualTo("LoadBalancer");
        assertThat(svc.getSpec().getExternalTrafficPolicy()).isEqualTo("Local");

        Container controller = container(objects, "gatehouse-controller");
        assertThat(controller.getArgs()).endsWith("--lease-namespace", "other");
        assertThat(controller.getImage()).isEqualTo("ghcr.io/gatehouse-dev/gatehouse@" + DIGEST);
        assertThat(env(controller, "JDK_JAVA_OPTIONS")).as("the controller keeps its own default").isEqualTo(DEFAULT_JAVA_OPTS);
        assertThat(pod(objects, "gatehouse-controller").getPriorityClassName()).isNull();
    }

    @Test
    void anEmptyJavaOptsLeavesTheImageDefaultsAndAGivenLabelSelectorIsKept() {
        List<HasMetadata> objects = Chart.parse(Chart.template().set("controller.javaOpts", "")
                .set("controller.topologySpreadConstraints[0].maxSkew", 2)
                .set("controller.topologySpreadConstraints[0].topologyKey", "kubernetes.io/hostname")
                .set("controller.topologySpreadConstraints[0].whenUnsatisfiable", "DoNotSchedule")
                .set("controller.topologySpreadConstraints[0].labelSelector.matchLabels.tier", "control").call());
        assertThat(env(container(objects, "gatehouse-controller"), "JDK_JAVA_OPTIONS")).isNull();
        assertThat(pod(objects, "gatehouse-controller").getTopologySpreadConstraints().get(0).getLabelSelector().getMatchLabels())
                .isEqualTo(Map.of("tier", "control"));
    }

    @Test
    void helmRefusesTuningThatCannotWork() {
        assertThatThrownBy(() -> Chart.template().set("proxy.service.externalTrafficPolicy", "Local").call())
                .hasMessageContaining("proxy.service.externalTrafficPolicy: Local needs proxy.service.type NodePort or LoadBalancer");
        assertThatThrownBy(() -> Chart.template().set("proxy.service.externalTrafficPolicy", "Sometimes").call())
                .hasMessageContaining("proxy.service.externalTrafficPolicy");
        assertThatThrownBy(() -> Chart.template().set("image.digest", "latest").call())
                .hasMessageContaining("image.digest");
        assertThatThrownBy(() -> Chart.template().set("proxy.podLabels.app\\.kubernetes\\.io/name", "other").call())
                .hasMessageContaining("proxy.podLabels");
        assertThatThrownBy(() -> Chart.template().set("proxy.extraEnv[0].value", "x").call())
                .hasMessageContaining("proxy.extraEnv");
        assertThatThrownBy(() -> Chart.template().set("controller.topologySpreadConstraints[0].maxSkew", 1).call())
                .hasMessageContaining("controller.topologySpreadConstraints");
    }
}
