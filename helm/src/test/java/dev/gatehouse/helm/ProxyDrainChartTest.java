package dev.gatehouse.helm;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The proxy's graceful drain in the chart: the flags follow {@code proxy.drain}, and the pod's
 * termination grace period covers the drain (delay + timeout) with room for the exit, so the
 * kubelet's SIGKILL never cuts requests the proxy is still finishing. No preStop hook: the proxy
 * waits out the delay itself.
 */
class ProxyDrainChartTest {
    private static final int EXIT_MARGIN_SECONDS = 10;

    private static PodSpec proxyPod(String yaml) {
        Deployment proxy = Chart.one(Chart.parse(yaml), Deployment.class, "gatehouse-proxy");
        return proxy.getSpec().getTemplate().getSpec();
    }

    private static Container proxyContainer(PodSpec pod) {
        assertThat(pod.getContainers()).hasSize(1);
        return pod.getContainers().get(0);
    }

    @Test
    void defaultsDrainFiveSecondsThenThirtyAndTheGracePeriodCoversBoth() {
        PodSpec pod = proxyPod(Chart.renderDefault());
        assertThat(proxyContainer(pod).getArgs()).containsSequence("--drain-delay", "5s", "--drain-timeout", "30s");
        assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(5L + 30L + EXIT_MARGIN_SECONDS);
        assertThat(proxyContainer(pod).getLifecycle()).as("no preStop hook: the proxy waits out the delay itself").isNull();
    }

    @Test
    void theGracePeriodFollowsTheDrainValues() {
        PodSpec pod = proxyPod(Chart.template().set("proxy.drain.delaySeconds", 15).set("proxy.drain.timeoutSeconds", 120).call());
        assertThat(proxyContainer(pod).getArgs()).containsSequence("--drain-delay", "15s", "--drain-timeout", "120s");
        assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(15L + 120L + EXIT_MARGIN_SECONDS)
                .isGreaterThan(15L + 120L);

        PodSpec none = proxyPod(Chart.template().set("proxy.drain.delaySeconds", 0).set("proxy.drain.timeoutSeconds", 0).call());
        assertThat(proxyContainer(none).getArgs()).containsSequence("--drain-delay", "0s", "--drain-timeout", "0s");
        assertThat(none.getTerminationGracePeriodSeconds()).isEqualTo((long) EXIT_MARGIN_SECONDS);
    }

    @Test
    void thePlainInstallCarriesTheSameDrain() throws Exception {
        PodSpec pod = proxyPod(Files.readString(AllInOne.FILE));
        assertThat(proxyContainer(pod).getArgs()).containsSequence("--drain-delay", "5s", "--drain-timeout", "30s");
        assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(45L);
    }

    @Test
    void helmRefusesADrainThatIsNotAWholeNumberOfSecondsInRange() {
        for (Object bad : List.of(-1, "5s", 1.5, 601)) {
            assertThatThrownBy(() -> Chart.template().set("proxy.drain.delaySeconds", bad).call())
                    .as("proxy.drain.delaySeconds=%s", bad).hasMessageContaining("proxy.drain.delaySeconds");
        }
        assertThatThrownBy(() -> Chart.template().set("proxy.drain.timeoutSeconds", 3601).call())
                .hasMessageContaining("proxy.drain.timeoutSeconds");
        assertThatThrownBy(() -> Chart.template().set("proxy.drain.graceSeconds", 5).call())
                .hasMessageContaining("Additional property graceSeconds is not allowed");
    }
}
