package dev.gatehouse.bench.scale.standin;

import io.fabric8.kubernetes.api.model.Condition;
import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.api.v1alpha1.GatewayRouteSpec;
import dev.gatehouse.api.v1alpha1.GatewayStatus;
import dev.gatehouse.api.v1alpha1.ObjectRef;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The stand-in, over real HTTP on loopback, to the real Fabric8 client and its informers. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StandInDispatcherTest {
    private KubernetesMockServer server;
    private KubernetesClient client;
    private StandInDispatcher dispatcher;

    @BeforeEach
    void start() {
        dispatcher = new StandInDispatcher();
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        server.init();
        client = server.createClient();
    }

    @AfterEach
    void stop() {
        client.close();
        server.destroy();
    }

    private static ConfigMap map(String name, String value, Map<String, String> labels) {
        return new ConfigMapBuilder().withMetadata(new ObjectMetaBuilder().withName(name).withNamespace("ns").withLabels(labels).build())
                .addToData("k", value).build();
    }

    @Test
    void anInformerListsThenSeesAnAddAnUpdateAndADeleteThroughItsWatch() throws Exception {
        client.resource(map("before", "1", Map.of("app", "a"))).create();
        client.resource(map("other-label", "1", Map.of("app", "b"))).create();
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        SharedIndexInformer<ConfigMap> informer = client.configMaps().inNamespace("ns").withLabel("app", "a")
                .inform(new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(ConfigMap m) {
                        seen.add("add " + m.getMetadata().getName() + " " + m.getData().get("k"));
                    }

                    @Override
                    public void onUpdate(ConfigMap old, ConfigMap m) {
                        seen.add("update " + m.getMetadata().getName() + " " + old.getData().get("k") + "->" + m.getData().get("k"));
                    }

                    @Override
                    public void onDelete(ConfigMap m, boolean unknown) {
                        seen.add("delete " + m.getMetadata().getName());
                    }
                });
        try {
            assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo("add before 1"); // from the list
            // whether or not its watch is open yet: it opens at the list's resourceVersion and gets what came after
            client.resource(map("after", "1", Map.of("app", "a"))).create();
            assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo("add after 1");
            ConfigMap current = client.configMaps().inNamespace("ns").withName("after").get();
            current.getData().put("k", "2");
            client.resource(current).update();
            assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo("update after 1->2");
            client.resource(map("after", "1", Map.of())).delete();
            assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo("delete after");
            assertThat(informer.getStore().list()).extracting(m -> m.getMetadata().getName()).containsExactly("before");
            assertThat(seen).isEmpty(); // the other label's object was never seen
            assertThat(dispatcher.watchCount()).isEqualTo(1); // seen through one watch, not by listing again
        } finally {
            informer.close();
        }
    }

    @Test
    void aWatchFromAResourceVersionOlderThanTheHistoryIsToldItIsGone() throws Exception {
        client.close();
        server.destroy();
        dispatcher = new StandInDispatcher(2);
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
        server.init();
        client = server.createClient();
        for (int i = 0; i < 4; i++) {
            client.resource(map("m" + i, "1", Map.of())).create(); // resourceVersions 1..4; the history keeps 3 and 4
        }
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        Watcher<ConfigMap> watcher = new Watcher<>() {
            @Override
            public void eventReceived(Action action, ConfigMap m) {
                seen.add(action + " " + m.getMetadata().getName());
            }

            @Override
            public void onClose(WatcherException e) {
                seen.add("closed gone=" + e.isHttpGone());
            }
        };
        try (Watch fresh = client.configMaps().inNamespace("ns").watch(new ListOptionsBuilder().withResourceVersion("2").build(), watcher)) {
            assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo("ADDED m2"); // rv 3: what came after 2
            assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo("ADDED m3");
        }
        seen.clear();
        try (Watch old = client.configMaps().inNamespace("ns").watch(new ListOptionsBuilder().withResourceVersion("1").build(), watcher)) {
            assertThat(seen.poll(10, TimeUnit.SECONDS)).isEqualTo("closed gone=true");
        }
    }

    private static GatewayRoute route() {
        GatewayRoute r = new GatewayRoute();
        r.setMetadata(new ObjectMetaBuilder().withName("r").withNamespace("ns").build());
        r.setSpec(new GatewayRouteSpec());
        r.getSpec().serviceRef = new ObjectRef("gs");
        r.getSpec().paths = List.of("/a");
        return r;
    }

    @Test
    void aStatusUpdateChangesTheStatusOnlyAndAMergePatchTheSpec() {
        GatewayRoute created = client.resource(route()).create();
        assertThat(created.getMetadata().getGeneration()).isEqualTo(1L);

        GatewayRoute withStatus = client.resources(GatewayRoute.class).inNamespace("ns").withName("r").get();
        withStatus.setStatus(new GatewayStatus());
        Condition c = new Condition();
        c.setType("Accepted");
        c.setStatus("True");
        withStatus.getStatus().conditions.add(c);
        withStatus.getSpec().paths = List.of("/not-written-by-a-status-update");
        client.resource(withStatus).updateStatus();

        GatewayRoute afterStatus = client.resources(GatewayRoute.class).inNamespace("ns").withName("r").get();
        assertThat(afterStatus.getStatus().conditions).extracting(x -> x.getType() + "=" + x.getStatus()).containsExactly("Accepted=True");
        assertThat(afterStatus.getSpec().paths).containsExactly("/a");
        assertThat(afterStatus.getMetadata().getGeneration()).isEqualTo(1L);

        client.resources(GatewayRoute.class).inNamespace("ns").withName("r")
                .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"priority\":7}}");
        GatewayRoute patched = client.resources(GatewayRoute.class).inNamespace("ns").withName("r").get();
        assertThat(patched.getSpec().priority).isEqualTo(7);
        assertThat(patched.getSpec().paths).containsExactly("/a");
        assertThat(patched.getStatus().conditions).hasSize(1); // a write of the object keeps the status
        assertThat(patched.getMetadata().getGeneration()).isEqualTo(2L);
        assertThat(Long.parseLong(patched.getMetadata().getResourceVersion()))
                .isGreaterThan(Long.parseLong(afterStatus.getMetadata().getResourceVersion()));

        // an update naming a stale resourceVersion is refused, as the API server does
        assertThatThrownBy(() -> client.resource(afterStatus).update())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
        assertThatThrownBy(() -> client.resource(route()).create())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> assertThat(e.getCode()).isEqualTo(409));
    }
}
