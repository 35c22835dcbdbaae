package dev.gatehouse.controller.k8s;

import dev.gatehouse.controller.files.ManifestReader;
import dev.gatehouse.controller.translate.GatewaySelection;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;

import static dev.gatehouse.controller.k8s.ControllerMockServerTest.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Secrets Gateways name in their listeners' {@code tls.certificateRefs} count as referenced for
 * the TLS Secret informer ({@link ClusterWatch#referenced}), beside those of routes and Ingresses:
 * a Secret named only by a Gateway rebuilds when it changes, a reference that is not to a Secret
 * names none, and a Gateway that stops naming a Secret stops it mattering.
 */
@ExtendWith(MockApiServerExtension.class)
class GatewaySecretWatchTest {
    KubernetesMockServer server;
    KubernetesClient client;

    @Test
    void secretsNamedByGatewayListenersAreReferenced() throws Exception {
        for (HasMetadata o : ManifestReader.read("g.yaml", """
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: web, namespace: default}
                spec:
                  gatewayClassName: gatehouse
                  listeners:
                    - {name: http, protocol: HTTP, port: 80}
                    - name: own
                      protocol: HTTPS
                      port: 443
                      hostname: a.example.com
                      tls: {certificateRefs: [{name: own-tls}]}
                    - name: shared
                      protocol: HTTPS
                      port: 443
                      hostname: b.example.com
                      tls: {certificateRefs: [{kind: Secret, group: "", name: shared-tls, namespace: certs}, {kind: ConfigMap, name: not-a-secret}]}
                """).objects()) {
            client.resource(o).create();
        }
        assertThat(GatewayWatch.certificatesOf(client.resources(Gateway.class).inNamespace("default").withName("web").get()))
                .containsExactly("default/own-tls", "certs/shared-tls");
        try (GatewayWatch gateways = new GatewayWatch(client, List.of(), GatewaySelection.DEFAULT, null, () -> { });
             ClusterWatch watch = new ClusterWatch(client, List.of(), null, () -> { })) {
            watch.alsoReferencedBy(key -> key.equals("default/ingress-tls")); // as the Ingress watch does
            watch.alsoReferencedBy(gateways::referencesSecret);
            await(() -> gateways.synced() && watch.synced(), s -> s, "informers synced");
            assertThat(watch.referenced("default/own-tls")).isTrue();
            assertThat(watch.referenced("certs/shared-tls")).isTrue();
            assertThat(watch.referenced("default/ingress-tls")).as("the first predicate still counts").isTrue();
            assertThat(watch.referenced("default/not-a-secret")).isFalse();
            assertThat(watch.referenced("default/shared-tls")).isFalse();

            client.resources(Gateway.class).inNamespace("default").withName("web").edit(g -> {
                g.getSpec().getListeners().removeIf(l -> l.getName().equals("shared"));
                return g;
            });
            await(() -> watch.referenced("certs/shared-tls"), r -> !r, "the removed listener's Secret no longer referenced");
            assertThat(watch.referenced("default/own-tls")).isTrue();
        }
    }
}
