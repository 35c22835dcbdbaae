package dev.gatehouse.controller.k8s;

import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.api.v1alpha1.Upstream;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.controller.files.ManifestReader;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.extension.ExtendWith;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.controller.k8s.StatusPacingMockServerTest.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * After an endpoint-only change the status pass plans over the Upstreams it touched, not every
 * object ({@link StatusPlanner}): on the real controller and the mock API server (CRUD mode), with
 * Upstreams each on a Service of its own and routes beside them, a change of one Service's
 * EndpointSlice gets a status write on its Upstream alone (the others, the GatewayServices and the
 * routes untouched), made by narrowed plans only, which looked at fewer objects than there are.
 * A route edit then (a rebuild) gets status writes on that route alone, from narrowed plans too.
 * That a narrowed plan writes what a full one would is {@code StatusPlannerTest}'s.
 */
@ExtendWith(MockApiServerExtension.class)
class StatusNarrowedMockServerTest {
    static final int UPSTREAMS = 5;
    static final int ROUTES = 12;
    /** Every Gatehouse object: the Upstreams, a GatewayService per Upstream, the routes. */
    static final int OBJECTS = UPSTREAMS * 2 + ROUTES;
    KubernetesMockServer server;
    KubernetesClient client;

    /** A slice of {@code n} endpoints, the first {@code ready} ready, the others terminating: {@code n} targets, {@code ready} ready. */
    static EndpointSlice slice(int service, int n, int ready) {
        List<io.fabric8.kubernetes.api.model.discovery.v1.Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            endpoints.add(new EndpointBuilder().withAddresses("10.0." + service + "." + (i + 1)).withNewConditions()
                    .withReady(i < ready).withServing(true).withTerminating(i >= ready).endConditions().build()); // draining: weight 0
        }
        return new EndpointSliceBuilder().withMetadata(new ObjectMetaBuilder().withName("svc-" + service + "-1")
                        .withNamespace("default").withLabels(Map.of("kubernetes.io/service-name", "svc-" + service)).build())
                .withAddressType("IPv4").addNewPort().withName("http").withPort(8080).endPort().withEndpoints(endpoints).build();
    }

    Upstream upstream(int i) {
        return client.resources(Upstream.class).inNamespace("default").withName("u-" + i).get();
    }

    static String counts(Upstream u) {
        return u == null || u.getStatus() == null || u.getStatus().targets == null ? "-"
                : u.getStatus().targets + "/" + u.getStatus().readyTargets;
    }

    static double meter(SimpleMeterRegistry registry, String name, String plan) {
        return registry.get(name).tag("plan", plan).counter().count();
    }

    /** The status writes the mock server received since the last call, by path. */
    List<String> statusWrites() throws InterruptedException {
        List<String> out = new ArrayList<>();
        for (RecordedRequest r = server.takeRequest(50, TimeUnit.MILLISECONDS); r != null;
             r = server.takeRequest(50, TimeUnit.MILLISECONDS)) {
            if (r.getPath().contains("/status") && (r.getMethod().equals("PUT") || r.getMethod().equals("PATCH"))) {
                out.add(r.getPath().replaceAll("\\?.*", ""));
            }
        }
        return out;
    }

    void create() {
        for (int i = 0; i < UPSTREAMS; i++) {
            client.resource(new ServiceBuilder().withNewMetadata().withName("svc-" + i).withNamespace("default").endMetadata()
                    .withNewSpec().addNewPort().withName("http").withPort(80).withNewTargetPort(8080).endPort().endSpec().build())
                    .create();
            client.resource(slice(i, 3, 3)).create();
            for (HasMetadata o : ManifestReader.read("u.yaml", """
                    apiVersion: gatehouse.dev/v1alpha1
                    kind: Upstream
                    metadata: {name: u-%d, namespace: default}
                    spec: {serviceRef: {name: svc-%d, port: http}}
                    ---
                    apiVersion: gatehouse.dev/v1alpha1
                    kind: GatewayService
                    metadata: {name: gs-%d, namespace: default}
                    spec: {upstreamRef: {name: u-%d}}
                    """.formatted(i, i, i, i)).objects()) {
                client.resource(o).create();
            }
        }
        for (int r = 0; r < ROUTES; r++) {
            for (HasMetadata o : ManifestReader.read("r.yaml", """
                    apiVersion: gatehouse.dev/v1alpha1
                    kind: GatewayRoute
                    metadata: {name: r-%d, namespace: default}
                    spec: {serviceRef: {name: gs-%d}, paths: ["/p%d"]}
                    """.formatted(r, r % UPSTREAMS, r)).objects()) {
                client.resource(o).create();
            }
        }
    }

    /** Changes svc-{@code i}'s slice and waits until its Upstream shows the counts and the status updater is idle. */
    void change(SimpleMeterRegistry registry, int i, int n, int ready) throws InterruptedException {
        client.resource(slice(i, n, ready)).update();
        await(() -> (n + "/" + ready).equals(counts(upstream(i))), Duration.ofSeconds(30), Duration.ofMillis(50),
                "u-" + i + " showing " + n + "/" + ready);
        await(() -> registry.get("gatehouse.controller.status.busy").gauge().value() == 0, Duration.ofSeconds(30),
                "the status updater idle");
    }

    @Test
    void anEndpointOnlyChangeWritesTheStatusOfItsUpstreamAloneFromANarrowedPlan() throws Exception {
        create();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<Snapshot> published = new CopyOnWriteArrayList<>();
        ControllerConfig config = ControllerMockServerTest.fast("a").withStatusWrites(ControllerConfig.StatusRate.of(1000));
        try (Controller controller = new Controller(client, config, published::add, registry)) {
            controller.fleet(StatusUpdaterTest.fleet(1, 1)); // one proxy, on every version
            controller.start();
            await(() -> {
                for (int i = 0; i < UPSTREAMS; i++) {
                    if (!"3/3".equals(counts(upstream(i)))) {
                        return false;
                    }
                }
                return client.resources(GatewayRoute.class).inNamespace("default").list().getItems().stream()
                        .allMatch(r -> ControllerMockServerTest.condition(r, "Programmed") != null);
            }, Duration.ofSeconds(120), Duration.ofMillis(100), "every object's first status"); // a loaded mock server: 60 s was missed
            // the start-up pass's writes come back through the cache; the passes after two changes have looked at them
            change(registry, 0, 4, 2);
            change(registry, 0, 3, 3);
            statusWrites();
            double fullPlans = meter(registry, "gatehouse.controller.status.plans", "full");
            double narrowedPlans = meter(registry, "gatehouse.controller.status.plans", "narrowed");
            double narrowedPlanned = meter(registry, "gatehouse.controller.status.planned", "narrowed");

            change(registry, 2, 5, 2);

            assertThat(statusWrites()).as("status writes after svc-2's slice changed: its Upstream's alone")
                    .containsOnly("/apis/gatehouse.dev/v1alpha1/namespaces/default/upstreams/u-2/status").isNotEmpty();
            for (int i = 0; i < UPSTREAMS; i++) {
                assertThat(counts(upstream(i))).as("u-%d", i).isEqualTo(i == 2 ? "5/2" : "3/3");
            }
            double plans = meter(registry, "gatehouse.controller.status.plans", "narrowed") - narrowedPlans;
            double planned = meter(registry, "gatehouse.controller.status.planned", "narrowed") - narrowedPlanned;
            assertThat(meter(registry, "gatehouse.controller.status.plans", "full")).as("full plans after the change")
                    .isEqualTo(fullPlans);
            assertThat(plans).as("narrowed plans after the change").isGreaterThanOrEqualTo(1);
            assertThat(planned / plans).as("objects per narrowed plan (of %d)", OBJECTS).isLessThan(OBJECTS / 4.0);

            // a route edit: a rebuild that keeps every object in its place; its pass plans over what it changed
            narrowedPlans = meter(registry, "gatehouse.controller.status.plans", "narrowed");
            narrowedPlanned = meter(registry, "gatehouse.controller.status.planned", "narrowed");
            GatewayRoute r3 = client.resources(GatewayRoute.class).inNamespace("default").withName("r-3").get();
            long generation = r3.getMetadata().getGeneration();
            r3.getSpec().paths = List.of("/edited");
            client.resource(r3).update();
            await(() -> {
                GatewayRoute now = client.resources(GatewayRoute.class).inNamespace("default").withName("r-3").get();
                var accepted = ControllerMockServerTest.condition(now, "Accepted");
                var programmed = ControllerMockServerTest.condition(now, "Programmed");
                return now.getMetadata().getGeneration() > generation && accepted != null && programmed != null
                        && now.getMetadata().getGeneration().equals(accepted.getObservedGeneration())
                        && now.getMetadata().getGeneration().equals(programmed.getObservedGeneration())
                        && "True".equals(programmed.getStatus());
            }, Duration.ofSeconds(30), Duration.ofMillis(50), "r-3 showing its new generation accepted and programmed");
            await(() -> registry.get("gatehouse.controller.status.busy").gauge().value() == 0, Duration.ofSeconds(30),
                    "the status updater idle");

            assertThat(statusWrites()).as("status writes after r-3's edit: its own alone")
                    .containsOnly("/apis/gatehouse.dev/v1alpha1/namespaces/default/gatewayroutes/r-3/status").isNotEmpty();
            plans = meter(registry, "gatehouse.controller.status.plans", "narrowed") - narrowedPlans;
            planned = meter(registry, "gatehouse.controller.status.planned", "narrowed") - narrowedPlanned;
            assertThat(meter(registry, "gatehouse.controller.status.plans", "full")).as("full plans after the route edit")
                    .isEqualTo(fullPlans);
            assertThat(plans).as("narrowed plans after the route edit").isGreaterThanOrEqualTo(1);
            assertThat(planned / plans).as("objects per narrowed plan (of %d)", OBJECTS).isLessThan(OBJECTS / 4.0);
        }
    }
}
