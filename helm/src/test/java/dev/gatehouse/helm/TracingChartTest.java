package dev.gatehouse.helm;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** proxy.tracing: off by default (no flag at all), on with an endpoint, bounded by the schema. */
class TracingChartTest {
    private static Container proxy(String yaml) {
        return Chart.one(Chart.parse(yaml), Deployment.class, "gatehouse-proxy").getSpec().getTemplate().getSpec()
                .getContainers().get(0);
    }

    @Test
    void offByDefault() {
        assertThat(proxy(Chart.renderDefault()).getArgs()).noneMatch(a -> a.startsWith("--tracing"));
    }

    @Test
    void anEndpointTurnsItOnWithTheRatio() {
        Container c = proxy(Chart.template().set("proxy.tracing.endpoint", "http://otel-collector.observability:4318")
                .set("proxy.tracing.sampleRatio", 0.25).call());
        assertThat(c.getArgs()).containsSequence("--tracing-endpoint", "http://otel-collector.observability:4318",
                "--tracing-sample-ratio", "0.25");

        Container all = proxy(Chart.template().set("proxy.tracing.endpoint", "https://c:4318/v1/traces").call());
        assertThat(all.getArgs()).containsSequence("--tracing-endpoint", "https://c:4318/v1/traces", "--tracing-sample-ratio", "1");

        Container none = proxy(Chart.template().set("proxy.tracing.endpoint", "http://c:4318").set("proxy.tracing.sampleRatio", 0)
                .call());
        assertThat(none.getArgs()).containsSequence("--tracing-sample-ratio", "0");
    }

    @Test
    void helmRefusesARatioOutOfRangeAndAnEndpointThatIsNotAnHttpUrl() {
        assertThatThrownBy(() -> Chart.template().set("proxy.tracing.sampleRatio", 1.5).call())
                .hasMessageContaining("proxy.tracing.sampleRatio");
        assertThatThrownBy(() -> Chart.template().set("proxy.tracing.endpoint", "otel-collector:4318").call())
                .hasMessageContaining("proxy.tracing.endpoint");
        assertThatThrownBy(() -> Chart.template().set("proxy.tracing.endpoint", "http://user:pw@c:4318").call())
                .hasMessageContaining("proxy.tracing.endpoint");
        assertThatThrownBy(() -> Chart.template().set("proxy.tracing.headers", "x").call())
                .hasMessageContaining("Additional property headers is not allowed");
    }
}
