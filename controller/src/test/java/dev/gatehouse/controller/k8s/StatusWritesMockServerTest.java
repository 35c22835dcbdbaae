package dev.gatehouse.controller.k8s;

import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.config.Snapshot;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.gatehouse.controller.k8s.ControllerMockServerTest.await;
import static dev.gatehouse.controller.k8s.ControllerMockServerTest.condition;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which status writes the controller makes, counted in the mock API server's (CRUD mode) record
 * of requests: a route edit writes that route only; proxies connecting and acknowledging cause
 * no translation and no write; a restart with nothing changed writes nothing.
 */
@ExtendWith(MockApiServerExtension.class)
class StatusWritesMockServerTest {
    KubernetesMockServer server;
    KubernetesClient client;

    /** Proxies as the channel reports them: {@code connected}, {@code synced} of them up to date with every version. */
    static final class Fleet implements ProxyFleet {
        volatile int connected;
        volatile int synced;

        Fleet(int connected, int synced) {
            this.connected = connected;
            this.synced = synced;
        }

        @Override
        public int connected() {
            return connected;
        }

        @Override
        public int ackedAtLeast(long version) {
            return synced;
        }

        @Override
        public Map<String, String> rejections(long version) {
            return Map.of();
        }
    }

    ControllerMockServerTest seed() throws Exception {
        ControllerMockServerTest seed = new ControllerMockServerTest();
        seed.client = client;
        seed.server = server;
        seed.applySeed();
        return seed;
    }

    static double meter(SimpleMeterRegistry registry, String name) {
        return registry.get(name).counter().count();
    }

    /** The status writes among {@code requests}: method and path. */
    static List<String> statusWrites(List<RecordedRequest> requests) {
        return requests.stream().filter(r -> r.getPath().contains("/status")
                        && (r.getMethod().equals("PUT") || r.getMethod().equals("PATCH")))
                .map(r -> r.getMethod() + " " + r.getPath()).toList();
    }

    /** Starts a controller and waits until every Gatehouse object of the seed shows Programmed=True. */
    Controller settled(ControllerMockServerTest seed, ProxyFleet fleet, SimpleMeterRegistry registry) throws Exception {
        List<Snapshot> published = new CopyOnWriteArrayList<>();
        Controller controller = new Controller(client, ControllerMockServerTest.fast("a"), published::add, registry);
        controller.fleet(fleet);
        controller.start();
        for (String name : List.of("root", "profile")) {
            await(() -> seed.route(name), r -> condition(r, "Programmed") != null
                    && "True".equals(condition(r, "Programmed").getStatus()), name + " programmed");
        }
        await(() -> registry.get("gatehouse.controller.status.busy").gauge().value(), b -> b == 0, "every pass to end");
        return controller;
    }

    /** Waits for the status pass after {@code passes} passes, so what it would write is in the record. */
    static void nextPass(SimpleMeterRegistry registry, double passes) throws InterruptedException {
        await(() -> meter(registry, "gatehouse.controller.status.passes"), n -> n > passes, "a status pass");
        await(() -> registry.get("gatehouse.controller.status.busy").gauge().value(), b -> b == 0, "every pass to end");
    }

    @Test
    void aRouteEditWritesThatRoutesStatusOnly() throws Exception {
        ControllerMockServerTest seed = seed();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Controller controller = settled(seed, new Fleet(1, 1), registry)) {
            seed.requests();
            GatewayRoute edited = client.resources(GatewayRoute.class).inNamespace("default").withName("root")
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"priority\":7}}");
            long generation = edited.getMetadata().getGeneration();
            await(() -> seed.route("root"), r -> Long.valueOf(generation).equals(condition(r, "Accepted").getObservedGeneration())
                    && "True".equals(condition(r, "Programmed").getStatus()), "root's status for generation " + generation);
            // a later change's pass comes after every write the edit caused
            double passes = meter(registry, "gatehouse.controller.status.passes");
            controller.changed();
            nextPass(registry, passes);

            assertThat(statusWrites(seed.requests())).as("status writes after editing root")
                    .isNotEmpty().allMatch(w -> w.equals("PUT /apis/gatehouse.dev/v1alpha1/namespaces/default/gatewayroutes/root/status"));
        }
    }

    @Test
    void proxiesConnectingAndAcknowledgingTranslateNothingAndWriteNothing() throws Exception {
        ControllerMockServerTest seed = seed();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Fleet fleet = new Fleet(1, 1);
        try (Controller controller = settled(seed, fleet, registry)) {
            double rebuilds = meter(registry, "gatehouse.controller.reconciles");
            seed.requests();
            fleet.connected = 2; // a second proxy connects: not synced yet
            double passes = meter(registry, "gatehouse.controller.status.passes");
            controller.changed();
            nextPass(registry, passes);
            fleet.synced = 2; // it acknowledges
            passes = meter(registry, "gatehouse.controller.status.passes");
            for (int i = 0; i < 50; i++) {
                controller.changed(); // ACKs of a busy fleet
            }
            nextPass(registry, passes);
            fleet.connected = 1; // one leaves
            fleet.synced = 1;
            passes = meter(registry, "gatehouse.controller.status.passes");
            controller.changed();
            nextPass(registry, passes);

            assertThat(meter(registry, "gatehouse.controller.reconciles")).as("translations").isEqualTo(rebuilds);
            assertThat(statusWrites(seed.requests())).as("status writes").isEmpty();
        }
    }

    @Test
    void aRestartWithNothingChangedWritesNoStatus() throws Exception {
        ControllerMockServerTest seed = seed();
        try (Controller first = settled(seed, new Fleet(2, 2), new SimpleMeterRegistry())) {
            assertThat(first.leader()).isTrue();
        }
        seed.requests();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Fleet reconnecting = new Fleet(0, 0);
        try (Controller second = new Controller(client, ControllerMockServerTest.fast("b"), s -> { }, registry)) {
            second.fleet(reconnecting);
            second.start();
            await(second::leader, leading -> leading, "the new leader");
            nextPass(registry, 0); // no proxy yet: what was programmed stays so
            reconnecting.connected = 2; // the proxies reconnect, and have what the controller has
            reconnecting.synced = 2;
            double passes = meter(registry, "gatehouse.controller.status.passes");
            second.changed();
            nextPass(registry, passes);

            assertThat(registry.get("gatehouse.controller.status.writes").tag("result", "written").counter().count()).isZero();
            assertThat(statusWrites(seed.requests())).as("status writes after the restart").isEmpty();
            assertThat(registry.get("gatehouse.controller.status.writes").tag("result", "unchanged").counter().count())
                    .as("objects compared").isPositive();
        }
    }
}
