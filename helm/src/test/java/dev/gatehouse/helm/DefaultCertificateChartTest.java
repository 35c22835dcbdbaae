package dev.gatehouse.helm;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.Role;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code controller.defaultCertificateSecret} becomes the controller's {@code --default-certificate-secret}
 * (a bare name in the release namespace), and, in namespaced mode, a Role that lets the controller
 * read that one Secret when its namespace is not watched.
 */
class DefaultCertificateChartTest {

    private static List<String> controllerArgs(List<HasMetadata> objects) {
        Deployment d = Chart.one(objects, Deployment.class, "gatehouse-controller");
        return d.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
    }

    @Test
    void noneByDefault() {
        List<HasMetadata> objects = Chart.parse(Chart.renderDefault());
        assertThat(controllerArgs(objects)).doesNotContain("--default-certificate-secret");
        assertThat(Chart.ofKind(objects, Role.class)).noneMatch(r -> r.getMetadata().getName().endsWith("-default-certificate"));
    }

    @Test
    void aNameIsInTheReleaseNamespaceAndANamespacedNameIsKept() {
        List<String> bare = controllerArgs(Chart.parse(Chart.template().set("controller.defaultCertificateSecret", "edge-tls").call()));
        assertThat(bare).containsSequence("--default-certificate-secret", Chart.NAMESPACE + "/edge-tls");
        List<String> full = controllerArgs(Chart.parse(Chart.template()
                .set("controller.defaultCertificateSecret", "certs/edge-tls").call()));
        assertThat(full).containsSequence("--default-certificate-secret", "certs/edge-tls");
    }

    @Test
    void namespacedModeGetsARoleForThatSecretOnlyWhenItsNamespaceIsNotWatched() {
        List<HasMetadata> objects = Chart.parse(Chart.template().set("watchNamespaces[0]", "team-a")
                .set("controller.defaultCertificateSecret", "certs/edge-tls").call());
        Role role = Chart.one(objects, Role.class, "gatehouse-controller-default-certificate");
        assertThat(role.getMetadata().getNamespace()).isEqualTo("certs");
        assertThat(role.getRules()).singleElement().satisfies(r -> {
            assertThat(r.getResources()).containsExactly("secrets");
            assertThat(r.getResourceNames()).containsExactly("edge-tls");
            assertThat(r.getVerbs()).containsExactly("get", "list", "watch");
        });
        List<HasMetadata> watched = Chart.parse(Chart.template().set("watchNamespaces[0]", "certs")
                .set("controller.defaultCertificateSecret", "certs/edge-tls").call());
        assertThat(Chart.ofKind(watched, Role.class)).noneMatch(r -> r.getMetadata().getName().endsWith("-default-certificate"));
    }

    @Test
    void helmRefusesAValueThatIsNotASecretName() {
        for (String bad : List.of("Edge_TLS", "a/b/c", "/edge")) {
            assertThatThrownBy(() -> Chart.template().set("controller.defaultCertificateSecret", bad).call())
                    .as(bad).hasMessageContaining("defaultCertificateSecret");
        }
    }
}
