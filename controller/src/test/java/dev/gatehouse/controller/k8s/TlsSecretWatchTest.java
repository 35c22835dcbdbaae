package dev.gatehouse.controller.k8s;

import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.controller.files.ManifestReader;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.gatehouse.controller.k8s.ControllerMockServerTest.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The TLS Secret informer marks the state dirty only for Secrets something names (a route, an
 * Ingress, the default certificate): churn of other Secrets costs no rebuild, a rotation of a named
 * one does. Events of one informer arrive in order: each step ends with a change of the named
 * Secret, and the count is read once that change is seen, so every earlier event was handled.
 */
@ExtendWith(MockApiServerExtension.class)
class TlsSecretWatchTest {
    KubernetesMockServer server;
    KubernetesClient client;

    static Secret tls(String name, String value) {
        return new SecretBuilder().withNewMetadata().withName(name).withNamespace("default").endMetadata()
                .withType("kubernetes.io/tls").addToData("tls.crt", value).addToData("tls.key", value).build();
    }

    @Test
    void onlySecretsSomethingNamesMarkTheStateDirty() throws Exception {
        for (HasMetadata o : ManifestReader.read("r.yaml", """
                apiVersion: gatehouse.dev/v1alpha1
                kind: GatewayRoute
                metadata: {name: secure, namespace: default}
                spec: {serviceRef: {name: s}, hosts: [a.example.com], tls: {secretName: used-tls}}
                """).objects()) {
            client.resource(o).create();
        }
        AtomicInteger changes = new AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<ClusterWatch> self = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicReference<String> seen = new java.util.concurrent.atomic.AtomicReference<>("");
        Runnable onChange = () -> {
            changes.incrementAndGet();
            ClusterWatch w = self.get();
            if (w != null) { // the named Secret's data as the caches hold it when this change is told
                w.state().secrets().stream().filter(x -> x.getMetadata().getName().equals("used-tls")).findFirst()
                        .ifPresent(x -> seen.set(x.getData().get("tls.crt")));
            }
        };
        try (ClusterWatch watch = new ClusterWatch(client, List.of(), "gatehouse-system/default-tls", onChange)) {
            self.set(watch);
            await(watch::synced, s -> s, "informers synced");
            await(() -> watch.referenced("default/used-tls"), r -> r, "the route indexed by its Secret");
            assertThat(watch.referenced("default/unrelated-tls")).isFalse();
            assertThat(watch.referenced("gatehouse-system/default-tls")).isTrue();
            int before = changes.get();

            client.resource(tls("unrelated-tls", "AA==")).create();
            client.resource(tls("unrelated-tls", "AQ==")).update();
            client.resource(tls("used-tls", "AA==")).create();
            await(seen::get, "AA=="::equals, "the named Secret seen");
            assertThat(changes.get()).as("one change, for the named Secret").isEqualTo(before + 1);

            client.resource(tls("unrelated-tls", "Ag==")).update();
            client.resource(tls("used-tls", "AQ==")).update(); // a rotation
            await(seen::get, "AQ=="::equals, "the rotation seen");
            assertThat(changes.get()).as("one more change, for the rotation").isEqualTo(before + 2);

            client.resource(new SecretBuilder(tls("used-tls", "AQ==")).editMetadata()
                    .addToAnnotations("cert-manager.io/certificate-name", "used").endMetadata().build()).update();
            client.resource(tls("used-tls", "Aw==")).update();
            await(seen::get, "Aw=="::equals, "the new data seen");
            assertThat(changes.get()).as("an annotation alone changes nothing served; new data does").isEqualTo(before + 3);
            assertThat(watch.state().secrets()).extracting(s -> s.getMetadata().getName()).contains("used-tls");
            assertThat(client.resources(GatewayRoute.class).inNamespace("default").list().getItems()).hasSize(1);
        }
    }
}
