package dev.gatehouse.controller.k8s;

import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.config.Snapshot;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.gatehouse.controller.k8s.ControllerMockServerTest.condition;
import static dev.gatehouse.controller.k8s.StatusPacingMockServerTest.await;
import static dev.gatehouse.controller.k8s.StatusPacingMockServerTest.written;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The start-up status pass held for the proxies' first acknowledgement ({@code --status-startup-hold}),
 * on the real controller and the mock API server (CRUD mode), with a proxy fleet the test drives: a
 * connected proxy that has not acknowledged keeps every status unwritten until it does, or until the
 * bound passes (with no proxy connected too); edits after the hold are written as before. Order and
 * outcome only; the one time compared is the lower bound the hold guarantees.
 */
@ExtendWith(MockApiServerExtension.class)
class StartupHoldMockServerTest {
    static final int ROUTES = 20;
    KubernetesMockServer server;
    KubernetesClient client;

    /** {@code connected} proxies, {@code acked} of them on every version: what the test sets. */
    static final class Proxies implements ProxyFleet {
        final AtomicInteger connected = new AtomicInteger();
        final AtomicInteger acked = new AtomicInteger();
        /** Those of the connected that refused every version (a NACK): answered, not acknowledged. */
        final AtomicInteger refused = new AtomicInteger();

        @Override
        public int answeredAtLeast(long version) {
            return acked.get() + refused.get();
        }

        @Override
        public int connected() {
            return connected.get();
        }

        @Override
        public int ackedAtLeast(long version) {
            return acked.get();
        }

        @Override
        public Map<String, String> rejections(long version) {
            return Map.of();
        }
    }

    static double holds(SimpleMeterRegistry registry, String ended) {
        return registry.get("gatehouse.controller.status.startup_hold").tag("ended", ended).counter().count();
    }

    List<GatewayRoute> routes() {
        return client.resources(GatewayRoute.class).inNamespace("default").list().getItems();
    }

    static boolean programmed(GatewayRoute r) {
        Condition p = condition(r, "Programmed");
        return p != null && "True".equals(p.getStatus());
    }

    /** Starts {@code controller} with {@code proxies} and waits until the routes are published and status is due (held). */
    static void startHeld(Controller controller, ProxyFleet proxies, List<Snapshot> published, SimpleMeterRegistry registry)
            throws InterruptedException {
        controller.fleet(proxies);
        controller.start();
        await(() -> controller.leader() && !published.isEmpty()
                        && published.get(published.size() - 1).routes().size() == ROUTES
                        && registry.get("gatehouse.controller.status.busy").gauge().value() == 1,
                Duration.ofSeconds(20), "the routes published, status due on the leader");
    }

    ControllerConfig held(Duration bound) {
        return ControllerMockServerTest.fast("a").withStatusWrites(ControllerConfig.StatusRate.of(1000).withStartupHold(bound));
    }

    @Test
    void aConnectedProxyThatHasNotAcknowledgedHoldsTheStartUpPassUntilItDoesThenEditsAreWrittenAsBefore() throws Exception {
        StatusPacingMockServerTest.createRoutes(client, ROUTES);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<Snapshot> published = new CopyOnWriteArrayList<>();
        Proxies proxies = new Proxies();
        proxies.connected.set(1);
        try (Controller controller = new Controller(client, held(Duration.ofMinutes(5)), published::add, registry)) {
            startHeld(controller, proxies, published, registry);

            assertThat(written(registry)).as("no status written while the proxy has not acknowledged").isZero();
            assertThat(routes()).as("no route shows a status yet").allMatch(r -> condition(r, "Accepted") == null);
            assertThat(holds(registry, "acknowledged") + holds(registry, "bound")).isZero();

            // a marker request, then the acknowledgement: every status write the ack lets through comes after it
            client.configMaps().inNamespace("default").withName("marker-before-ack").get();
            proxies.acked.set(1); // the proxy applied the first snapshot
            controller.changed();
            await(() -> holds(registry, "acknowledged") == 1, Duration.ofSeconds(30), "the hold released by the ack");
            await(() -> routes().stream().allMatch(StartupHoldMockServerTest::programmed), Duration.ofSeconds(30),
                    Duration.ofMillis(200), "every route Programmed");
            assertThat(holds(registry, "bound")).isZero();
            List<String> order = new java.util.ArrayList<>();
            for (RecordedRequest r = server.takeRequest(50, TimeUnit.MILLISECONDS); r != null;
                 r = server.takeRequest(50, TimeUnit.MILLISECONDS)) {
                if (r.getPath().contains("marker-before-ack")) {
                    order.add("marker");
                } else if (r.getPath().contains("/gatewayroutes/") && r.getPath().contains("/status")
                        && (r.getMethod().equals("PUT") || r.getMethod().equals("PATCH"))) {
                    order.add("status");
                }
            }
            assertThat(order).as("the marker, then the route status writes: none before the acknowledgement")
                    .startsWith("marker").contains("status");

            GatewayRoute edited = client.resources(GatewayRoute.class).inNamespace("default").withName("r3")
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"priority\":9}}");
            await(() -> {
                Condition accepted = condition(client.resources(GatewayRoute.class).inNamespace("default").withName("r3").get(),
                        "Accepted");
                return accepted != null && edited.getMetadata().getGeneration().equals(accepted.getObservedGeneration());
            }, Duration.ofSeconds(30), "the edit's status written");
            assertThat(holds(registry, "acknowledged") + holds(registry, "bound")).as("held once, at start only").isEqualTo(1);
        }
    }

    @Test
    void aProxyThatRefusesTheFirstSnapshotHasAnsweredItAndEndsTheHold() throws Exception {
        StatusPacingMockServerTest.createRoutes(client, ROUTES);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<Snapshot> published = new CopyOnWriteArrayList<>();
        Proxies proxies = new Proxies();
        proxies.connected.set(2);
        proxies.acked.set(1); // the one that applied it
        try (Controller controller = new Controller(client, held(Duration.ofMinutes(5)), published::add, registry)) {
            startHeld(controller, proxies, published, registry);
            assertThat(written(registry)).as("no status written while one proxy has not answered").isZero();
            assertThat(holds(registry, "acknowledged") + holds(registry, "answered") + holds(registry, "bound")).isZero();

            proxies.refused.set(1); // the other refused it (a NACK): every connected proxy has answered
            controller.changed();
            await(() -> holds(registry, "answered") == 1, Duration.ofSeconds(10), "the hold released by the answers");
            await(() -> routes().stream().allMatch(r -> condition(r, "Accepted") != null), Duration.ofSeconds(30),
                    Duration.ofMillis(200), "every route's status written, long before the 5 minute bound");
            assertThat(holds(registry, "acknowledged") + holds(registry, "bound")).isZero();
        }
    }

    @Test
    void withNoProxyAcknowledgingTheBoundReleasesTheStartUpPass() throws Exception {
        StatusPacingMockServerTest.createRoutes(client, ROUTES);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<Long> publishedAt = new CopyOnWriteArrayList<>();
        Duration bound = Duration.ofSeconds(2);
        try (Controller controller = new Controller(client, held(bound), s -> publishedAt.add(System.nanoTime()), registry)) {
            controller.fleet(ProxyFleet.NONE); // no proxy ever connects
            controller.start();
            await(() -> routes().stream().allMatch(r -> condition(r, "Accepted") != null), Duration.ofSeconds(30),
                    Duration.ofMillis(200), "every route's status written");
            long allWritten = System.nanoTime(); // every route was written by now, and none before the bound
            assertThat(holds(registry, "bound")).isEqualTo(1);
            assertThat(holds(registry, "acknowledged")).isZero();
            assertThat(allWritten - publishedAt.get(0)).as("status written no sooner than the bound after the first publish")
                    .isGreaterThanOrEqualTo(bound.toNanos());
            assertThat(routes()).allMatch(r -> "no proxy is connected".equals(condition(r, "Programmed").getMessage()));
        }
    }
}
