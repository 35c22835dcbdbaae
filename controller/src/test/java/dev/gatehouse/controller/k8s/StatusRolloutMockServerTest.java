package dev.gatehouse.controller.k8s;

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
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.gatehouse.controller.k8s.StatusPacingMockServerTest.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rollout keeps the endpoint path busy without a break, so without a bound the status writer,
 * which gives way to every publish, would show the Upstream's target counts of before the rollout
 * until it ends. On the real controller and the mock API server (CRUD mode), with
 * {@code --status-max-delay} of 1 s and a quiet after each publish longer than the time between
 * two of them: EndpointSlice changes one after another for 4 s, each publishing new counts; the
 * Upstream's status, read as {@code kubectl get upstreams} would, is written with counts of the
 * rollout several times while it runs, and shows the final counts after it stops. With the
 * bound at its largest (10 minutes) no count of the rollout is shown while it runs. That a newer
 * publish during a pass's planning no longer ends the pass before its first write (the full-size
 * case, where planning outlasts the time between publishes) is {@code StatusUpdaterTest}'s.
 */
@ExtendWith(MockApiServerExtension.class)
class StatusRolloutMockServerTest {
    static final Duration MAX_DELAY = Duration.ofSeconds(1);
    static final Duration ROLLOUT = Duration.ofSeconds(4);
    /** The fewest slice writes of the rollout, however long they take. */
    static final int SLICE_WRITES = 60;
    /** Longer than the time between two publishes of the rollout, so the publish path is never quiet while it runs. */
    static final Duration QUIET = Duration.ofMillis(500);
    /**
     * Beside the Upstream, for a pass to plan over; each is a status write before the Upstream's
     * first, which a loaded mock API server takes 200 ms for (300 of them missed a minute).
     */
    static final int ROUTES = 100;
    KubernetesMockServer server;
    KubernetesClient client;

    /** A slice of {@code n} endpoints, the first {@code ready} of them ready, the others terminating (draining: targets of weight 0). */
    static EndpointSlice slice(int n, int ready) {
        List<io.fabric8.kubernetes.api.model.discovery.v1.Endpoint> endpoints = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            endpoints.add(new EndpointBuilder().withAddresses("10.0.0." + (i + 1)).withNewConditions().withReady(i < ready)
                    .withServing(true).withTerminating(i >= ready).endConditions().build());
        }
        return new EndpointSliceBuilder().withMetadata(new ObjectMetaBuilder().withName("web-1").withNamespace("default")
                        .withLabels(Map.of("kubernetes.io/service-name", "web")).build())
                .withAddressType("IPv4").addNewPort().withName("http").withPort(8080).endPort()
                .withEndpoints(endpoints).build();
    }

    Upstream upstream() {
        return client.resources(Upstream.class).inNamespace("default").withName("web").get();
    }

    /** What {@code kubectl get upstreams} shows: targets/ready, or "-" before the first status. */
    static String counts(Upstream u) {
        return u == null || u.getStatus() == null || u.getStatus().targets == null ? "-"
                : u.getStatus().targets + "/" + u.getStatus().readyTargets;
    }

    @Test
    void upstreamCountsAreWrittenDuringARolloutAndEqualTheFinalOnesAfterIt() throws Exception {
        StatusPacingMockServerTest pacing = new StatusPacingMockServerTest();
        pacing.client = client;
        pacing.createRoutes(ROUTES);
        client.resource(new ServiceBuilder().withNewMetadata().withName("web").withNamespace("default").endMetadata()
                .withNewSpec().addNewPort().withName("http").withPort(80).withNewTargetPort(8080).endPort().endSpec().build())
                .create();
        client.resource(slice(10, 10)).create();
        for (HasMetadata o : ManifestReader.read("u.yaml", """
                apiVersion: gatehouse.dev/v1alpha1
                kind: Upstream
                metadata: {name: web, namespace: default}
                spec: {serviceRef: {name: web, port: http}}
                """).objects()) {
            client.resource(o).create();
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        List<Snapshot> published = new CopyOnWriteArrayList<>();
        ControllerConfig config = ControllerMockServerTest.fast("a")
                .withStatusWrites(new ControllerConfig.StatusRate(10_000, 10_000, QUIET, MAX_DELAY));
        try (Controller controller = new Controller(client, config, published::add, registry).start()) {
            await(() -> "10/10".equals(counts(upstream())), Duration.ofSeconds(120), Duration.ofMillis(100),
                    "the Upstream's first status, 10/10");
            double endpointPublishes = registry.get("gatehouse.controller.publishes").tag("path", "endpoints").counter().count();

            // the rollout: one slice write after another, each with other counts, never 10/10
            Set<String> shownDuring = new LinkedHashSet<>();
            AtomicBoolean rolling = new AtomicBoolean(true);
            Thread reader = new Thread(() -> {
                while (rolling.get()) {
                    String c = counts(upstream());
                    if (rolling.get()) {
                        shownDuring.add(c);
                    }
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            reader.start();
            long end = System.nanoTime() + ROLLOUT.toNanos();
            int i = 0;
            // ROLLOUT long and at least SLICE_WRITES writes: a loaded machine makes fewer writes in the time
            while (System.nanoTime() < end || i < SLICE_WRITES) {
                client.resource(slice(11 + i % 9, 1 + i % 11)).update();
                i++;
            }
            rolling.set(false);
            reader.join();
            client.resource(slice(12, 7)).update();

            // awaited, not read once: the controller's thread may still be publishing the last writes
            await(() -> registry.get("gatehouse.controller.publishes").tag("path", "endpoints").counter().count()
                    - endpointPublishes > 20, Duration.ofSeconds(20), Duration.ofMillis(20),
                    "the rollout published on the endpoint path, change after change (more than 20 publishes)");
            shownDuring.remove("10/10"); // read before the first write of the rollout
            assertThat(shownDuring).as("counts of the rollout shown while it ran (at most " + MAX_DELAY + " behind; "
                    + i + " slice writes)").hasSizeGreaterThanOrEqualTo(2);
            // the outcome, not its speed: how soon the final counts are shown depends on the machine's load
            await(() -> "12/7".equals(counts(upstream())), Duration.ofSeconds(20), Duration.ofMillis(20), "the final counts");
        }
    }
}
