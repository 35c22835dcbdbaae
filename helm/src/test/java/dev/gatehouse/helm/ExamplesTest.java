package dev.gatehouse.helm;

import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.api.v1alpha1.GatewayService;
import dev.gatehouse.api.v1alpha1.Upstream;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** manifests/examples/: every file parses strictly; the seed is the walkthrough's own. */
class ExamplesTest {
    static final Path EXAMPLES = Chart.REPO.resolve("manifests/examples");

    static List<Path> files() throws IOException {
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    @Test
    void everyExampleParsesWithTheModel() throws IOException {
        assertThat(files()).extracting(p -> p.getFileName().toString())
                .contains("seed.yaml", "service-backed-upstream.yaml");
        for (Path file : files()) {
            assertThat(Chart.parse(Files.readString(file))).as(file.toString()).isNotEmpty();
        }
    }

    @Test
    void seedIsACopyOfTheWalkthroughSet() throws IOException {
        assertThat(Files.readString(EXAMPLES.resolve("seed.yaml")))
                .as("manifests/examples/seed.yaml must be a copy of examples/seed/seed.yaml; "
                        + "cp examples/seed/seed.yaml manifests/examples/seed.yaml")
                .isEqualTo(Files.readString(Chart.REPO.resolve("examples/seed/seed.yaml")));
        List<HasMetadata> seed = Chart.parse(Files.readString(EXAMPLES.resolve("seed.yaml")));
        // stringData is folded into data by the API server; the model keeps it as written.
        Secret key = Chart.one(seed, Secret.class, "moesif-key");
        assertThat(key.getStringData()).containsEntry("key", "my-secret-key");
        assertThat(key.getMetadata().getLabels()).containsEntry("gatehouse.dev/credential", "key-auth");
    }

    @Test
    void serviceBackedUpstreamTargetsThePodsOfTheEchoService() throws IOException {
        List<HasMetadata> objects = Chart.parse(Files.readString(EXAMPLES.resolve("service-backed-upstream.yaml")));
        Deployment echo = Chart.one(objects, Deployment.class, "echo");
        assertThat(echo.getSpec().getReplicas()).isEqualTo(2);
        Service service = Chart.one(objects, Service.class, "echo");
        assertThat(service.getSpec().getSelector()).isEqualTo(echo.getSpec().getTemplate().getMetadata().getLabels());
        assertThat(service.getSpec().getPorts()).extracting(p -> p.getName()).containsExactly("http");
        assertThat(echo.getSpec().getTemplate().getSpec().getContainers().get(0).getPorts())
                .extracting(p -> p.getName()).containsExactly("http");

        Upstream upstream = Chart.one(objects, Upstream.class, "echo");
        assertThat(upstream.getSpec().serviceRef.name).isEqualTo("echo");
        assertThat(upstream.getSpec().serviceRef.port.getStrVal()).isEqualTo("http");
        assertThat(upstream.getSpec().targets).isNull();
        assertThat(Chart.one(objects, GatewayService.class, "echo").getSpec().upstreamRef.name).isEqualTo("echo");
        GatewayRoute route = Chart.one(objects, GatewayRoute.class, "echo");
        assertThat(route.getSpec().serviceRef.name).isEqualTo("echo");
        assertThat(route.getSpec().paths).containsExactly("/echo");
    }
}
