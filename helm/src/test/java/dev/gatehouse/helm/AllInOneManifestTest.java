package dev.gatehouse.helm;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** manifests/gatehouse.yaml is exactly what the chart renders today, and it is deterministic. */
class AllInOneManifestTest {

    @Test
    void committedManifestEqualsTheRenderedChart() throws IOException {
        String rendered = AllInOne.render();
        if (AllInOne.regenerating()) {
            Files.writeString(AllInOne.FILE, rendered);
        }
        assertThat(AllInOne.FILE).as("manifests/gatehouse.yaml is missing; generate it with " + AllInOne.REGENERATE).exists();
        assertThat(Files.readString(AllInOne.FILE))
                .as("manifests/gatehouse.yaml differs from the chart rendered with default values; regenerate it with "
                        + AllInOne.REGENERATE + ", review the diff and commit it")
                .isEqualTo(rendered);
    }

    @Test
    void renderingTwiceGivesTheSameBytes() throws IOException {
        assertThat(AllInOne.render()).isEqualTo(AllInOne.render());
    }

    @Test
    void crdsComeFirstThenTheNamespaceAndNoTokenSecret() throws IOException {
        List<HasMetadata> objects = Chart.parse(Files.readString(AllInOne.FILE));
        int crds = 5; // Upstream, GatewayService, GatewayRoute, Consumer, KeyAuthFilter
        assertThat(objects.subList(0, crds)).allSatisfy(o -> assertThat(o).isInstanceOf(CustomResourceDefinition.class));
        assertThat(objects.get(crds)).isInstanceOf(Namespace.class);
        assertThat(objects.get(crds).getMetadata().getName()).isEqualTo("gatehouse-system");
        assertThat(objects.subList(crds + 1, objects.size())).allSatisfy(o -> {
            assertThat(o).isNotInstanceOf(CustomResourceDefinition.class).isNotInstanceOf(Namespace.class);
            if (o.getMetadata().getNamespace() != null) {
                assertThat(o.getMetadata().getNamespace()).isEqualTo("gatehouse-system");
            }
        });
        assertThat(Chart.ofKind(objects, Secret.class)).as("the token is the user's to make").isEmpty();
        assertThat(Chart.ofKind(objects, Deployment.class)).hasSize(2).allSatisfy(d ->
                assertThat(d.getSpec().getTemplate().getSpec().getVolumes()).anySatisfy(v ->
                        assertThat(v.getSecret() == null ? null : v.getSecret().getSecretName())
                                .isEqualTo("gatehouse-channel-token")));
        assertThat(Files.readString(AllInOne.FILE))
                .contains("kubectl -n gatehouse-system create secret generic gatehouse-channel-token");
    }
}
