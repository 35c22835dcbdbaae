package dev.gatehouse.controller.k8s;

import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.api.v1alpha1.GatewayRouteSpec;
import dev.gatehouse.api.v1alpha1.GatewayService;
import dev.gatehouse.api.v1alpha1.GatewayServiceSpec;
import dev.gatehouse.api.v1alpha1.ObjectRef;
import dev.gatehouse.config.Snapshot;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

import static dev.gatehouse.controller.k8s.ControllerMockServerTest.condition;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The status pass kept off the publish path, on the real controller and the mock API server (CRUD
 * mode): a route edit made while a long pass is under way is published while the pass is still
 * pending, the writer pauses for it, no write starts within the quiet after the publish (one in
 * flight when the change came may end then), and the pass then completes with every status right.
 * Read from the controller's meters at the moment of each event; the one time compared is a lower
 * bound the pause guarantees, never a speed.
 */
@ExtendWith(MockApiServerExtension.class)
class StatusPacingMockServerTest {
    static final int ROUTES = 300;
    static final Duration QUIET = Duration.ofMillis(1500);
    KubernetesMockServer server;
    KubernetesClient client;

    /** A publish as the controller made it: the snapshot, the status writes made so far, those waiting, when. */
    record Published(Snapshot snapshot, double written, double queued, long nanos) {
    }

    static double written(SimpleMeterRegistry registry) {
        return registry.get("gatehouse.controller.status.writes").tag("result", "written").counter().count();
    }

    static void await(BooleanSupplier done, Duration within, String what) throws InterruptedException {
        await(done, within, Duration.ofMillis(5), what);
    }

    /** Polls {@code done} every {@code every}: a list of every route is looked at seldom, not to load the mock server. */
    static void await(BooleanSupplier done, Duration within, Duration every, String what) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(every.toMillis());
        }
    }

    void createRoutes(int n) {
        createRoutes(client, n);
    }

    /** A GatewayService {@code svc} and {@code n} routes {@code r<i>} to it, in {@code default}. */
    static void createRoutes(KubernetesClient client, int n) {
        GatewayService svc = new GatewayService();
        svc.setMetadata(new ObjectMetaBuilder().withName("svc").withNamespace("default").build());
        svc.setSpec(new GatewayServiceSpec());
        svc.getSpec().url = "http://backend.internal:8080";
        client.resource(svc).create();
        for (int i = 0; i < n; i++) {
            GatewayRoute r = new GatewayRoute();
            r.setMetadata(new ObjectMetaBuilder().withName("r" + i).withNamespace("default").build());
            r.setSpec(new GatewayRouteSpec());
            r.getSpec().serviceRef = new ObjectRef("svc");
            r.getSpec().paths = List.of("/r" + i);
            client.resource(r).create();
        }
    }

    static boolean showsItsGeneration(GatewayRoute r) {
        Condition accepted = condition(r, "Accepted");
        return accepted != null && "True".equals(accepted.getStatus())
                && r.getMetadata().getGeneration().equals(accepted.getObservedGeneration())
                && condition(r, "Programmed") != null && condition(r, "ResolvedRefs") != null;
    }

    @Test
    void aRouteEditIsPublishedWithoutWaitingForALongStatusPassWhichCompletesAfterIt() throws Exception {
        createRoutes(ROUTES);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<Published> published = new CopyOnWriteArrayList<>();
        // 50 writes a second, one at a time: the start's pass over 301 objects lasts 6 s, so the edit meets it
        // even when a loaded machine delivers the edit late. No bound on how far behind status may be held
        // (--status-max-delay at its largest): on a loaded machine the start's pass may already be held 3 s
        // (the default bound) when the edit comes, and the write the bound then lets through is no pause.
        ControllerConfig config = ControllerMockServerTest.fast("a")
                .withStatusWrites(new ControllerConfig.StatusRate(50, 1, QUIET, ControllerConfig.StatusRate.MAX_MAX_DELAY));
        try (Controller controller = new Controller(client, config, s -> published.add(new Published(s, written(registry),
                registry.get("gatehouse.controller.status.queued").gauge().value(), System.nanoTime())), registry).start()) {
            await(() -> written(registry) >= 20, Duration.ofSeconds(20), "the start's pass to be under way");
            int before = published.size();

            // read before the edit: the informer's thread may deliver it, and the writer pause, before the patch returns
            double pausesAtEdit = registry.get("gatehouse.controller.status.paused").counter().count();
            GatewayRoute edited = client.resources(GatewayRoute.class).inNamespace("default").withName("r" + (ROUTES - 1))
                    .patch(PatchContext.of(PatchType.JSON_MERGE), "{\"spec\":{\"priority\":7}}");
            await(() -> published.stream().skip(before).anyMatch(p -> p.snapshot().routes().stream()
                    .anyMatch(r -> r.priority() == 7)), Duration.ofSeconds(30), "the edit published");
            Published edit = published.stream().skip(before).filter(p -> p.snapshot().routes().stream()
                    .anyMatch(r -> r.priority() == 7)).findFirst().orElseThrow();

            assertThat(edit.queued()).as("writes of the pass still waiting when the edit was published").isPositive();
            // one write may have been in flight when the change came (counted when it completes); the
            // next one starts no sooner than the quiet after the publish
            await(() -> written(registry) >= edit.written() + 2, Duration.ofSeconds(20), "the pass to go on");
            long resumed = System.nanoTime();
            assertThat(resumed - edit.nanos()).as("the pass went on no sooner than the quiet after the publish")
                    .isGreaterThanOrEqualTo(QUIET.toNanos());
            assertThat(registry.get("gatehouse.controller.status.paused").counter().count())
                    .as("the writer paused for the edit").isGreaterThan(pausesAtEdit);

            await(() -> {
                List<GatewayRoute> routes = client.resources(GatewayRoute.class).inNamespace("default").list().getItems();
                return routes.size() == ROUTES && routes.stream().allMatch(StatusPacingMockServerTest::showsItsGeneration);
            }, Duration.ofSeconds(90), Duration.ofMillis(500), "every route's status to show its generation");
            GatewayRoute after = client.resources(GatewayRoute.class).inNamespace("default").withName("r" + (ROUTES - 1)).get();
            assertThat(condition(after, "Accepted").getObservedGeneration()).isEqualTo(edited.getMetadata().getGeneration());
            assertThat(condition(after, "Programmed").getMessage()).isEqualTo("no proxy is connected");
            assertThat(registry.get("gatehouse.controller.status.cpu").counter().count()).as("the writer's CPU is counted")
                    .isPositive();
        }
    }

    @Test
    void aTombstoneLimitOfTwoForgetsTheThirdDeletedRouteAndCountsIt() throws Exception {
        createRoutes(3);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<Snapshot> published = new CopyOnWriteArrayList<>();
        ControllerConfig config = ControllerMockServerTest.fast("a").withDeletedNamesRemembered(2);
        try (Controller controller = new Controller(client, config, published::add, registry).start()) {
            await(() -> !published.isEmpty() && published.get(published.size() - 1).routes().size() == 3, Duration.ofSeconds(30),
                    "the three routes published");
            assertThat(registry.get("gatehouse.controller.state.deleted_names_forgotten").functionCounter().count()).isZero();
            for (int i = 0; i < 3; i++) {
                client.resources(GatewayRoute.class).inNamespace("default").withName("r" + i).delete();
            }
            await(() -> published.get(published.size() - 1).routes().isEmpty(), Duration.ofSeconds(30), "the routes gone");
            await(() -> registry.get("gatehouse.controller.state.deleted_names_forgotten").functionCounter().count() == 1,
                    Duration.ofSeconds(30), "one deleted name forgotten");
        }
    }
}
