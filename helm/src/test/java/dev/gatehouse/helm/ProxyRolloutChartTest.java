package dev.gatehouse.helm;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A rollout of the proxies waits {@code proxy.minReadySeconds} (default 30) after a new pod is ready
 * before it takes the next old one out, so a just-started JVM warms up on a share of the traffic
 * while the old pods still serve (docs/operations.md, "A new proxy's first seconds"). The controller's
 * rollout is not held: it serves no client traffic.
 */
class ProxyRolloutChartTest {
    private static Deployment proxy(String yaml) {
        return Chart.one(Chart.parse(yaml), Deployment.class, "gatehouse-proxy");
    }

    @Test
    void aNewProxyServesThirtySecondsBeforeTheNextOldOneGoes() {
        List<HasMetadata> objects = Chart.parse(Chart.renderDefault());
        assertThat(Chart.one(objects, Deployment.class, "gatehouse-proxy").getSpec().getMinReadySeconds()).isEqualTo(30);
        assertThat(Chart.one(objects, Deployment.class, "gatehouse-controller").getSpec().getMinReadySeconds())
                .as("the controller's rollout is not held").isNull();
    }

    @Test
    void theWaitFollowsTheValueAndZeroTurnsItOff() {
        assertThat(proxy(Chart.template().set("proxy.minReadySeconds", 90).call()).getSpec().getMinReadySeconds()).isEqualTo(90);
        assertThat(proxy(Chart.template().set("proxy.minReadySeconds", 0).call()).getSpec().getMinReadySeconds()).isEqualTo(0);
        assertThat(proxy(Chart.template().set("proxy.autoscaling.enabled", true).call()).getSpec().getMinReadySeconds())
                .as("with the autoscaler too").isEqualTo(30);
    }

    @Test
    void thePlainInstallCarriesTheSameWait() throws Exception {
        assertThat(proxy(Files.readString(AllInOne.FILE)).getSpec().getMinReadySeconds()).isEqualTo(30);
    }

    @Test
    void helmRefusesAWaitThatIsNotAWholeNumberOfSecondsInRange() {
        for (Object bad : List.of(-1, "30s", 1.5, 601)) {
            assertThatThrownBy(() -> Chart.template().set("proxy.minReadySeconds", bad).call())
                    .as("proxy.minReadySeconds=%s", bad).hasMessageContaining("proxy.minReadySeconds");
        }
    }
}
