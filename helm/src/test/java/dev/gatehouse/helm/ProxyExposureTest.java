package dev.gatehouse.helm;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What of a proxy pod is reachable, and whose forwarded headers it believes: the status port on
 * the pod IP (downward API) and loopback, the probes on that port, and
 * {@code proxy.trustedProxies} passed as {@code --trusted-proxies}.
 */
class ProxyExposureTest {

    private static Container proxy(List<HasMetadata> objects, String name) {
        Deployment d = Chart.one(objects, Deployment.class, name);
        assertThat(d.getSpec().getTemplate().getSpec().getContainers()).hasSize(1);
        return d.getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    @Test
    void theStatusPortBindsThePodIpAndLoopback() {
        Container proxy = proxy(Chart.parse(Chart.renderDefault()), "gatehouse-proxy");
        EnvVar podIp = proxy.getEnv().stream().filter(e -> e.getName().equals("POD_IP")).findFirst().orElseThrow();
        assertThat(podIp.getValue()).isNull();
        assertThat(podIp.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("status.podIP");
        // $(POD_IP) is expanded by the kubelet from the container's env: it must be declared there
        assertThat(proxy.getArgs()).containsSequence("--status-address", "$(POD_IP),127.0.0.1");
        assertThat(proxy.getPorts()).anySatisfy(p -> {
            assertThat(p.getName()).isEqualTo("status");
            assertThat(p.getContainerPort()).isEqualTo(8100);
        });
        // kubelet probes the pod IP (no host set) on the status port, where the proxy listens
        for (Probe probe : Stream.of(proxy.getStartupProbe(), proxy.getLivenessProbe(), proxy.getReadinessProbe()).toList()) {
            assertThat(probe.getHttpGet().getHost()).isNull();
            assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("status");
        }
    }

    @Test
    void noProxyIsTrustedByDefault() {
        assertThat(proxy(Chart.parse(Chart.renderDefault()), "gatehouse-proxy").getArgs()).doesNotContain("--trusted-proxies");
    }

    @Test
    void trustedProxiesArePassedAsTheFlag() {
        Container proxy = proxy(Chart.parse(Chart.template().set("proxy.trustedProxies[0]", "10.0.0.0/16")
                .set("proxy.trustedProxies[1]", "2001:db8::/32").call()),
                "gatehouse-proxy");
        assertThat(proxy.getArgs()).containsSequence("--trusted-proxies", "10.0.0.0/16,2001:db8::/32");
        Container everything = proxy(Chart.parse(Chart.template()
                .withValuesFile(java.nio.file.Path.of("src/test/resources/values-everything.yaml")).call()), "edge-proxy");
        assertThat(everything.getArgs()).containsSequence("--trusted-proxies", "10.0.0.0/16,2001:db8::/32");
    }

    @Test
    void helmRefusesATrustedProxyThatIsNotACidrBlock() {
        assertThatThrownBy(() -> Chart.template().set("proxy.trustedProxies[0]", "lb.example.com").call())
                .hasMessageContaining("proxy.trustedProxies");
    }
}
