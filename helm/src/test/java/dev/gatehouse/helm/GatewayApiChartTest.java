package dev.gatehouse.helm;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The chart's Gateway API values: the controller flags, the optional GatewayClass, turning it off. */
class GatewayApiChartTest {
    @Test
    void listenersAreMatchedToTheProxyServicePort() {
        List<HasMetadata> objects = Chart.parse(Chart.template().set("proxy.service.ports.http", 8080)
                .set("proxy.service.ports.https", 8443).call());
        assertThat(RenderedObjectsTest.only(RenderedObjectsTest.controller(objects)).getArgs())
                .containsSequence("--gateway-controller-name", "gatehouse.dev/gateway-controller")
                .containsSequence("--gateway-http-port", "8080")
                .containsSequence("--gateway-https-port", "8443");
        assertThat(objects).noneMatch(o -> "GatewayClass".equals(o.getKind())).as("no GatewayClass unless asked");
    }

    @Test
    void aGatewayClassOnlyWhenNamed() {
        List<HasMetadata> objects = Chart.parse(Chart.template().set("gatewayApi.className", "edge")
                .set("gatewayApi.controllerName", "example.com/gatehouse").call());
        HasMetadata cls = objects.stream().filter(o -> "GatewayClass".equals(o.getKind())).findFirst().orElseThrow();
        assertThat(cls.getMetadata().getName()).isEqualTo("edge");
        assertThat(cls.getMetadata().getNamespace()).isNull();
        Object spec = cls instanceof GenericKubernetesResource g ? g.getAdditionalProperties().get("spec")
                : io.fabric8.kubernetes.client.utils.Serialization.asJson(cls);
        assertThat(spec.toString()).contains("example.com/gatehouse");
        assertThat(RenderedObjectsTest.only(RenderedObjectsTest.controller(objects)).getArgs())
                .containsSequence("--gateway-controller-name", "example.com/gatehouse");
    }

    @Test
    void offMeansTheFlagAndNoClass() {
        List<HasMetadata> off = Chart.parse(Chart.template().set("gatewayApi.enabled", false).set("gatewayApi.className", "x").call());
        assertThat(RenderedObjectsTest.only(RenderedObjectsTest.controller(off)).getArgs()).contains("--no-gateway-api")
                .doesNotContain("--gateway-controller-name", "--gateway-http-port", "--gateway-https-port");
        assertThat(off).noneMatch(o -> "GatewayClass".equals(o.getKind()));
    }
}
