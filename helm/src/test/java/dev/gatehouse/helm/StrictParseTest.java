package dev.gatehouse.helm;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The parse the other tests rely on refuses what Kubernetes would refuse or silently drop. */
class StrictParseTest {
    static final String DEPLOYMENT = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: d}
            spec:
              selector: {matchLabels: {a: b}}
              template:
                metadata: {labels: {a: b}}
                spec:
                  containers:
                    - name: c
                      image: i
                      securityContext: {%s: true}
            """;

    @Test
    void acceptsAKnownField() {
        assertThat(Chart.parse(DEPLOYMENT.formatted("readOnlyRootFilesystem"))).hasSize(1);
    }

    @Test
    void refusesAMisspelledFieldDeepInAFabric8Object() {
        assertThatThrownBy(() -> Chart.parse(DEPLOYMENT.formatted("readOnlyRootFileSystem")))
                .hasMessageContaining("Deployment d").hasMessageContaining("readOnlyRootFileSystem");
    }

    @Test
    void refusesAnUnknownKind() {
        assertThatThrownBy(() -> Chart.parse("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"))
                .hasMessageContaining("Widget w");
    }

    @Test
    void refusesAnUnknownFieldInAGatehouseResource() {
        String upstream = """
                apiVersion: gatehouse.dev/v1alpha1
                kind: Upstream
                metadata: {name: u}
                spec: {algorithm: RoundRobin, %s: [{address: "10.0.0.1:80"}]}
                """;
        assertThat(Chart.parse(upstream.formatted("targets"))).hasSize(1);
        assertThatThrownBy(() -> Chart.parse(upstream.formatted("tagets"))).hasMessageContaining("tagets");
    }
}
