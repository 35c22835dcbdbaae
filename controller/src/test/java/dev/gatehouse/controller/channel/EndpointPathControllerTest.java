package dev.gatehouse.controller.channel;

import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.api.v1alpha1.GatewayRouteSpec;
import dev.gatehouse.api.v1alpha1.GatewayService;
import dev.gatehouse.api.v1alpha1.GatewayServiceSpec;
import dev.gatehouse.api.v1alpha1.ObjectRef;
import dev.gatehouse.api.v1alpha1.Upstream;
import dev.gatehouse.api.v1alpha1.UpstreamSpec;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotCodec;
import dev.gatehouse.controller.k8s.Controller;
import dev.gatehouse.controller.k8s.ControllerConfig;
import dev.gatehouse.controller.publish.SnapshotPublisher;
import dev.gatehouse.controller.translate.ClusterState;
import dev.gatehouse.controller.translate.Translator;
import dev.gatehouse.controller.k8s.MockApiServerExtension;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The endpoint path end to end in one JVM: the real controller on the Fabric8 mock API server
 * (CRUD mode, real informers), the real channel server, and a real channel client applying what
 * it gets. An EndpointSlice change and a Service deleted reach the proxy as {@code endpoints}
 * deltas published by the endpoint path (no rebuild: the publish says {@code path=endpoints}),
 * with the Upstream's status following; a route edit after them is an {@code objects} delta
 * against a snapshot that holds their targets (no resync); and what the proxy serves at the end
 * is byte for byte a full translation of the API server's objects.
 */
@ExtendWith(MockApiServerExtension.class)
class EndpointPathControllerTest extends ChannelTestBase {
    KubernetesClient client;

    private static <T> T await(Supplier<T> value, Predicate<T> done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        T v = value.get();
        while (!done.test(v)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + "; last: " + v);
            }
            Poll.sleep(20);
            v = value.get();
        }
        return v;
    }

    private static EndpointSlice slice(String... addresses) {
        EndpointSliceBuilder b = new EndpointSliceBuilder().withMetadata(new ObjectMetaBuilder().withName("web-1")
                        .withNamespace("default").withLabels(Map.of("kubernetes.io/service-name", "web")).build())
                .withAddressType("IPv4").addNewPort().withName("http").withPort(8080).endPort();
        for (String a : addresses) {
            b.addToEndpoints(new EndpointBuilder().withAddresses(a).withNewConditions().withReady(true).endConditions().build());
        }
        return b.build();
    }

    private void createObjects() {
        client.resource(new ServiceBuilder().withMetadata(new ObjectMetaBuilder().withName("web").withNamespace("default").build())
                .withNewSpec().addNewPort().withName("http").withPort(80).endPort().endSpec().build()).create();
        client.resource(slice("10.1.0.1", "10.1.0.2")).create();
        Upstream u = new Upstream();
        u.getMetadata().setName("web");
        u.getMetadata().setNamespace("default");
        u.setSpec(new UpstreamSpec());
        u.getSpec().serviceRef = new UpstreamSpec.ServiceRef();
        u.getSpec().serviceRef.name = "web";
        u.getSpec().serviceRef.port = new IntOrString("http");
        client.resource(u).create();
        GatewayService gs = new GatewayService();
        gs.getMetadata().setName("web");
        gs.getMetadata().setNamespace("default");
        gs.setSpec(new GatewayServiceSpec());
        gs.getSpec().upstreamRef = new ObjectRef("web");
        client.resource(gs).create();
        client.resource(route(List.of("/"))).create();
    }

    private static GatewayRoute route(List<String> paths) {
        GatewayRoute r = new GatewayRoute();
        r.getMetadata().setName("web");
        r.getMetadata().setNamespace("default");
        r.setSpec(new GatewayRouteSpec());
        r.getSpec().serviceRef = new ObjectRef("web");
        r.getSpec().paths = paths;
        return r;
    }

    private static List<String> targets(Snapshot s) {
        return s == null || s.upstreams().isEmpty() ? null
                : s.upstreams().get(0).targets().stream().map(t -> t.host() + ":" + t.port()).toList();
    }

    private Upstream upstream() {
        return client.resources(Upstream.class).inNamespace("default").withName("web").get();
    }

    /** The one log line of the publish of {@code version}. */
    private String publishOf(long version) {
        List<String> lines = logs.containing("event=snapshot.published ");
        return lines.stream().filter(l -> l.contains(" version=" + version + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no publish of version " + version + " in " + lines));
    }

    private String pushOf(long version) {
        List<String> lines = logs.containing("event=channel.push ");
        return lines.stream().filter(l -> l.contains(" version=" + version + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no push of version " + version + " in " + lines));
    }

    @Test
    void endpointChangesTakeTheirOwnPathAndARouteEditAfterThemIsADeltaOnTheirSnapshot() throws Exception {
        createObjects();
        ChannelServer server = server();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Controller controller = track(new Controller(client, new ControllerConfig(List.of(), "default", "gatehouse-controller", "a",
                Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(200)), new SnapshotPublisher() {
                    @Override
                    public void publish(Snapshot snapshot) {
                        server.publish(snapshot);
                    }

                    @Override
                    public void publish(Snapshot snapshot, String contentHash) {
                        server.publish(snapshot, contentHash);
                    }
                }, registry));
        controller.fleet(new ChannelFleet(server));
        controller.start();
        MemorySink sink = new MemorySink();
        client(server, "proxy-1", sink);
        await(() -> targets(sink.current()), t -> t != null && t.size() == 2, "the first snapshot on the proxy");
        await(this::upstream, u -> u.getStatus() != null && Integer.valueOf(2).equals(u.getStatus().readyTargets),
                "the Upstream's status");

        // a pod becomes ready: an endpoints delta published by the endpoint path
        client.resource(slice("10.1.0.1", "10.1.0.2", "10.1.0.3")).update();
        await(() -> targets(sink.current()), t -> t.size() == 3, "the third target on the proxy");
        long v1 = sink.currentVersion();
        assertThat(publishOf(v1)).contains("path=endpoints").contains("translated=1");
        assertThat(pushOf(v1)).contains("kind=endpoints");
        await(this::upstream, u -> Integer.valueOf(3).equals(u.getStatus().readyTargets), "the Upstream's status after the change");
        assertThat(registry.get("gatehouse.controller.publishes").tag("path", "endpoints").counter().count()).isEqualTo(1);

        // a route edit: an objects delta against the snapshot holding the three targets
        client.resource(route(List.of("/", "/v2"))).update();
        await(() -> sink.current().routes().get(0).paths(), p -> p.size() == 2, "the edited route on the proxy");
        long v2 = sink.currentVersion();
        assertThat(publishOf(v2)).contains("path=full");
        assertThat(pushOf(v2)).contains("kind=objects");
        assertThat(targets(sink.current())).containsExactly("10.1.0.1:8080", "10.1.0.2:8080", "10.1.0.3:8080");

        // the Service deleted: no targets, and the Upstream's ResolvedRefs says why
        client.services().inNamespace("default").withName("web").delete();
        await(() -> targets(sink.current()), List::isEmpty, "no target on the proxy");
        long v3 = sink.currentVersion();
        assertThat(publishOf(v3)).contains("path=endpoints");
        assertThat(pushOf(v3)).contains("kind=endpoints");
        Upstream unresolved = await(this::upstream, u -> u.getStatus().conditions.stream().anyMatch(c ->
                c.getType().equals("ResolvedRefs") && c.getStatus().equals("False")), "ResolvedRefs=False on the Upstream");
        assertThat(unresolved.getStatus().conditions.stream().filter(c -> c.getType().equals("ResolvedRefs")).findFirst()
                .orElseThrow().getMessage()).contains("Service default/web not found");

        assertThat(logs.containing("event=channel.resync")).as("resyncs").isEmpty();
        // the informers' first adds come before the first translation, and go to it; none after
        assertThat(registry.find("gatehouse.controller.endpoint.fallbacks").counters()).as("fallbacks")
                .allMatch(c -> "no-translation-yet".equals(c.getId().getTag("reason")));
        assertThat(registry.get("gatehouse.controller.publishes").tag("path", "endpoints").counter().count()).isEqualTo(2);
        ClusterState api = new ClusterState(client.resources(Upstream.class).inAnyNamespace().list().getItems(),
                client.resources(GatewayService.class).inAnyNamespace().list().getItems(),
                client.resources(GatewayRoute.class).inAnyNamespace().list().getItems(), List.of(),
                client.services().inAnyNamespace().list().getItems(),
                client.discovery().v1().endpointSlices().inAnyNamespace().list().getItems(), List.of());
        assertThat(new String(SnapshotCodec.toJson(sink.current().withVersion(0)), StandardCharsets.UTF_8))
                .as("what the proxy serves against a full translation of the API server's objects")
                .isEqualTo(new String(SnapshotCodec.toJson(Translator.translate(api).snapshot()), StandardCharsets.UTF_8));
    }
}
