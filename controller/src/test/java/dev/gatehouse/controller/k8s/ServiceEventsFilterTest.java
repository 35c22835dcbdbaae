package dev.gatehouse.controller.k8s;

import dev.gatehouse.controller.files.ManifestReader;
import dev.gatehouse.controller.translate.ClusterState;
import dev.gatehouse.controller.translate.Translator;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.gatehouse.controller.k8s.ControllerMockServerTest.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Events of EndpointSlices and Services mark the state dirty only for the Services the last
 * translation looked up: pods rolling behind a Service no Upstream names cost no rebuild. Events of
 * one informer arrive in order: each step ends with a change of a referenced Service's slice, and
 * the count is read once that is seen, so every earlier event was handled.
 */
@ExtendWith(MockApiServerExtension.class)
class ServiceEventsFilterTest {
    KubernetesMockServer server;
    KubernetesClient client;

    static EndpointSlice slice(String name, String service, String address) {
        return new EndpointSliceBuilder().withMetadata(new ObjectMetaBuilder().withName(name).withNamespace("default")
                        .withLabels(Map.of("kubernetes.io/service-name", service)).build())
                .withAddressType("IPv4").addNewPort().withName("http").withPort(8080).endPort()
                .withEndpoints(new EndpointBuilder().withAddresses(address).build()).build();
    }

    @Test
    void onlyReferencedServicesSlicesMarkTheStateDirty() throws Exception {
        for (HasMetadata o : ManifestReader.read("u.yaml", """
                apiVersion: gatehouse.dev/v1alpha1
                kind: Upstream
                metadata: {name: web, namespace: default}
                spec: {serviceRef: {name: web, port: http}}
                """).objects()) {
            client.resource(o).create();
        }
        AtomicInteger changes = new AtomicInteger();
        try (ClusterWatch watch = new ClusterWatch(client, List.of(), changes::incrementAndGet)) {
            await(watch::synced, s -> s, "informers synced");
            // the kept state gets the informers' adds on their own threads, after the caches
            ClusterState state = await(watch::state, s -> s.upstreams().size() == 1, "the Upstream in the kept state");
            Translator.translate(state);
            assertThat(state.servicesReferenced()).as("what the translation looked up").containsExactly("default/web");
            assertThat(watch.servicesReferenced(state.servicesReferenced())).as("nothing referenced anew (the first call)").isFalse();

            await(changes::get, n -> n == 1, "the Upstream's add, the one object there"); // no other event is on its way
            int warm = changes.get();
            client.resource(slice("web-0", "web", "10.0.1.0")).create();
            await(changes::get, n -> n > warm, "web's first slice marks dirty");

            int before = changes.get();
            client.resource(slice("other-1", "other", "10.0.0.1")).create(); // a Service nothing names
            client.resource(slice("other-2", "other", "10.0.0.2")).create();
            client.resource(slice("web-1", "web", "10.0.1.1")).create();
            await(() -> watch.state().endpointSlices().stream().anyMatch(s -> s.getMetadata().getName().equals("web-1")),
                    seen -> seen, "web's slice in the cache");
            await(changes::get, n -> n > before, "web's slice marks dirty");
            assertThat(changes.get() - before).as("marks for three slices, one of a referenced Service").isEqualTo(1);

            // an Upstream now names "other": its Service is referenced anew, so the caller rebuilds once more
            assertThat(watch.servicesReferenced(Set.of("default/web", "default/other"))).isTrue();
            int then = changes.get();
            client.resource(slice("other-3", "other", "10.0.0.3")).create();
            await(changes::get, n -> n > then, "other's slice marks dirty now");
        }
    }
}
