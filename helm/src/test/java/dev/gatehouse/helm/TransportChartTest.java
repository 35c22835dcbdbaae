package dev.gatehouse.helm;

import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SeccompProfile;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * proxy.transport and proxy.seccompProfile: {@code --transport auto} and RuntimeDefault by default;
 * io_uring with the Localhost profile it needs on both the pod and the container (a container's
 * profile wins over its pod's); the rest of the security context kept; values the schema refuses.
 */
class TransportChartTest {
    private static PodSpec proxy(String yaml) {
        return Chart.one(Chart.parse(yaml), Deployment.class, "gatehouse-proxy").getSpec().getTemplate().getSpec();
    }

    @Test
    void autoAndRuntimeDefaultByDefault() {
        PodSpec pod = proxy(Chart.renderDefault());
        assertThat(pod.getContainers().get(0).getArgs()).containsSequence("--transport", "auto");
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(pod.getContainers().get(0).getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    }

    @Test
    void ioUringWithALocalhostProfileOnThePodAndTheContainer() {
        PodSpec pod = proxy(Chart.template().set("proxy.transport", "io_uring")
                .set("proxy.seccompProfile.type", "Localhost")
                .set("proxy.seccompProfile.localhostProfile", "profiles/gatehouse-io-uring.json").call());
        assertThat(pod.getContainers().get(0).getArgs()).containsSequence("--transport", "io_uring");
        SeccompProfile expected = new SeccompProfile("profiles/gatehouse-io-uring.json", "Localhost");
        assertThat(pod.getSecurityContext().getSeccompProfile()).isEqualTo(expected);
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(10001L);
        var container = pod.getContainers().get(0).getSecurityContext();
        assertThat(container.getSeccompProfile()).isEqualTo(expected);
        assertThat(container.getReadOnlyRootFilesystem()).isTrue();
        assertThat(container.getAllowPrivilegeEscalation()).isFalse();
        assertThat(container.getCapabilities().getDrop()).containsExactly("ALL");
    }

    @Test
    void helmRefusesAnUnknownTransportAndALocalhostProfileWithoutItsFile() {
        assertThatThrownBy(() -> Chart.template().set("proxy.transport", "kqueue").call())
                .hasMessageContaining("proxy.transport");
        assertThatThrownBy(() -> Chart.template().set("proxy.seccompProfile.type", "Localhost").call())
                .hasMessageContaining("localhostProfile");
        assertThatThrownBy(() -> Chart.template().set("proxy.seccompProfile.localhostProfile", "profiles/x.json").call())
                .hasMessageContaining("localhostProfile");
        assertThatThrownBy(() -> Chart.template().set("proxy.seccompProfile.type", "Sometimes").call())
                .hasMessageContaining("proxy.seccompProfile");
    }
}
