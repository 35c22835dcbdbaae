package dev.gatehouse.controller.k8s;

import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.api.v1alpha1.GatewayRouteSpec;
import dev.gatehouse.api.v1alpha1.GatewayService;
import dev.gatehouse.api.v1alpha1.GatewayServiceSpec;
import dev.gatehouse.api.v1alpha1.ObjectRef;
import dev.gatehouse.controller.translate.ClusterState;
import dev.gatehouse.controller.translate.Translator;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * A measurement, not a test (skipped unless {@code -Dgatehouse.measure=true}): the status writer's
 * CPU per write and per unchanged pass, in one JVM, against the mock API server (CRUD mode) with
 * {@value #ROUTES} routes. The status thread's CPU is read by its name, so the same file measures
 * any version of the updater. Prints one line per figure; asserts nothing about time.
 *
 * <pre>./mvnw -B -o -q -pl controller -am test -Dtest=StatusWriteCpuMeasure -Dgatehouse.measure=true \
 *     -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
@ExtendWith(MockApiServerExtension.class)
@EnabledIfSystemProperty(named = "gatehouse.measure", matches = "true")
class StatusWriteCpuMeasure {
    static final int ROUTES = 2_000;
    KubernetesMockServer server;
    KubernetesClient client;

    static long statusThreadCpu() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t != null && t.getThreadName().equals("gatehouse-status")) {
                return threads.getThreadCpuTime(t.getThreadId());
            }
        }
        throw new IllegalStateException("no gatehouse-status thread");
    }

    static long processCpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static void await(BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    static double count(SimpleMeterRegistry registry, String result) {
        return registry.get("gatehouse.controller.status.writes").tag("result", result).counter().count();
    }

    ClusterState state() {
        List<GatewayService> services = client.resources(GatewayService.class).inNamespace("default").list().getItems();
        List<GatewayRoute> routes = client.resources(GatewayRoute.class).inNamespace("default").list().getItems();
        return new ClusterState(null, services, routes, null, null, null, null);
    }

    @Test
    void measure() throws Exception {
        GatewayService svc = new GatewayService();
        svc.setMetadata(new ObjectMetaBuilder().withName("svc").withNamespace("default").build());
        svc.setSpec(new GatewayServiceSpec());
        svc.getSpec().url = "http://backend.internal:8080";
        client.resource(svc).create();
        for (int i = 0; i < ROUTES; i++) {
            GatewayRoute r = new GatewayRoute();
            r.setMetadata(new ObjectMetaBuilder().withName("route-" + i).withNamespace("default")
                    .withLabels(Map.of("app.kubernetes.io/name", "bench", "team", "t" + (i % 50)))
                    .withAnnotations(Map.of("example.com/owner", "team-" + (i % 50) + "@example.com")).build());
            r.setSpec(new GatewayRouteSpec());
            r.getSpec().serviceRef = new ObjectRef("svc");
            r.getSpec().hosts = List.of("api-" + (i % 100) + ".example.com");
            r.getSpec().paths = new ArrayList<>(List.of("/v1/items-" + i, "/v2/items-" + i));
            r.getSpec().methods = List.of("GET", "POST");
            client.resource(r).create();
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        StatusUpdater updater = new StatusUpdater(new StatusWriter(client, Clock.systemUTC())::write,
                new ControllerConfig.StatusRate(10_000, 10_000), registry, StatusUpdater.Time.SYSTEM);
        try (updater) {
            updater.leading(true);
            ClusterState state = state();
            long cpu0 = statusThreadCpu();
            long proc0 = processCpu();
            long wall0 = System.nanoTime();
            updater.offer(new StatusUpdater.Desired(state, Translator.translate(state), 1, null));
            await(() -> count(registry, "written") >= ROUTES + 1, "every object written");
            long cpu1 = statusThreadCpu();
            long proc1 = processCpu();
            long wall1 = System.nanoTime();
            double writes = count(registry, "written");
            System.out.printf("status-cpu writes=%.0f status_thread_cpu_us_per_write=%.0f process_cpu_us_per_write=%.0f "
                            + "wall_us_per_write=%.0f%n", writes, (cpu1 - cpu0) / 1e3 / writes, (proc1 - proc0) / 1e3 / writes,
                    (wall1 - wall0) / 1e3 / writes);

            // passes with nothing to write: the state as the informers would hand it again, the same objects
            ClusterState written = state();
            double unchanged0 = count(registry, "unchanged"); // read before the offer: its pass may count at once
            updater.offer(new StatusUpdater.Desired(written, Translator.translate(written), 1, null));
            await(() -> count(registry, "unchanged") >= unchanged0 + ROUTES + 1, "a pass with nothing to write");
            long cpu2 = statusThreadCpu();
            int passes = 20;
            for (int i = 0; i < passes; i++) {
                double before = count(registry, "unchanged");
                updater.proxiesChanged(); // an acknowledgement: Programmed decided again for every object
                await(() -> count(registry, "unchanged") >= before + ROUTES + 1, "an unchanged pass");
            }
            long cpu3 = statusThreadCpu();
            System.out.printf("status-cpu unchanged_pass objects=%d status_thread_cpu_us_per_pass=%.0f%n", ROUTES + 1,
                    (cpu3 - cpu2) / 1e3 / passes);
        }
    }
}
