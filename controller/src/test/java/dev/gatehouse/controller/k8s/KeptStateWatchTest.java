package dev.gatehouse.controller.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static dev.gatehouse.controller.k8s.ControllerMockServerTest.await;
import static dev.gatehouse.controller.k8s.ServiceEventsFilterTest.slice;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Against the real client and informers: the state kept from the events is the caches' state
 * after adds, updates, deletes and a delete and re-create under one name (a new uid), so the
 * check against the caches ({@link ClusterWatch#reconcile()}, as the controller runs it every 10
 * minutes, and as a relist amounts to) finds nothing to correct, and keeps the objects it holds.
 */
@ExtendWith(MockApiServerExtension.class)
class KeptStateWatchTest {
    KubernetesMockServer server;
    KubernetesClient client;

    @Test
    void eventsKeepTheStateTheCachesHold() throws Exception {
        try (ClusterWatch watch = new ClusterWatch(client, List.of(), () -> { })) {
            await(watch::synced, s -> s, "informers synced");
            client.resource(slice("a", "web", "10.0.0.1")).create();
            client.resource(slice("b", "web", "10.0.0.2")).create();
            client.resource(slice("c", "web", "10.0.0.3")).create();
            client.resource(slice("a", "web", "10.0.0.9")).update();
            client.resource(slice("b", "web", "10.0.0.2")).delete();
            String oldUid = client.discovery().v1().endpointSlices().inNamespace("default").withName("c").get().getMetadata().getUid();
            client.resource(slice("c", "web", "10.0.0.3")).delete();
            await(() -> client.discovery().v1().endpointSlices().inNamespace("default").withName("c").get(), c -> c == null,
                    "c deleted");
            client.resource(slice("c", "web", "10.0.0.4")).create();

            await(() -> addresses(watch.state().endpointSlices()), a -> a.equals(Set.of("a=10.0.0.9", "c=10.0.0.4")),
                    "the kept state after the events");
            EndpointSlice c = watch.state().endpointSlices().stream().filter(s -> s.getMetadata().getName().equals("c"))
                    .findFirst().orElseThrow();
            assertThat(c.getMetadata().getUid()).as("the re-created slice, a new uid").isNotEqualTo(oldUid);

            assertThat(watch.reconcile()).as("the check against the caches finds nothing to correct").isZero();
            EndpointSlice after = watch.state().endpointSlices().stream().filter(s -> s.getMetadata().getName().equals("c"))
                    .findFirst().orElseThrow();
            assertThat(after).as("and keeps the object it held (the translator's kept outcomes stay valid)").isSameAs(c);
            assertThat(watch.store().events()).isPositive();
        }
    }

    private static Set<String> addresses(List<? extends HasMetadata> slices) {
        return slices.stream().map(s -> (EndpointSlice) s)
                .map(s -> s.getMetadata().getName() + "=" + s.getEndpoints().get(0).getAddresses().get(0))
                .collect(Collectors.toSet());
    }
}
