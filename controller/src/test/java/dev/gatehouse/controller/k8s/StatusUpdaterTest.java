package dev.gatehouse.controller.k8s;

import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.api.v1alpha1.GatewayRouteSpec;
import dev.gatehouse.api.v1alpha1.GatewayService;
import dev.gatehouse.api.v1alpha1.GatewayServiceSpec;
import dev.gatehouse.api.v1alpha1.GatewayStatus;
import dev.gatehouse.api.v1alpha1.ObjectRef;
import dev.gatehouse.controller.translate.ClusterState;
import dev.gatehouse.controller.translate.ObjectStatus;
import dev.gatehouse.controller.translate.StatusCondition;
import dev.gatehouse.controller.translate.Translator;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The status updater on its own, with a recording writer in place of the API server and a clock
 * the test drives: pacing, coalescing, retries and Programmed, counted, never timed.
 */
class StatusUpdaterTest {
    static final KubernetesSerialization JSON = new KubernetesSerialization();
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    /** The fake clock: waits for the budget or a retry advance it instead of sleeping. */
    final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    final StatusUpdater.Time fakeTime = new StatusUpdater.Time() {
        @Override
        public long nanoTime() {
            return nanos.get();
        }

        @Override
        public void park(java.util.concurrent.locks.Condition wake, long wait) {
            nanos.addAndGet(wait);
        }
    };
    /** Every write: the object's key, the fake time and the status written. */
    record Write(String name, long at, GatewayStatus status) {
    }

    final List<Write> writes = new CopyOnWriteArrayList<>();
    final Map<String, GatewayStatus> shown = new ConcurrentHashMap<>();
    StatusUpdater updater;

    /** Writes like the API server: the status as {@link StatusWriter#wanted} makes it, a new resourceVersion. */
    @SuppressWarnings({"rawtypes", "unchecked"})
    CustomResource record(CustomResource base, List<StatusCondition> desired, ObjectStatus decided) {
        GatewayStatus status = StatusWriter.wanted(base, desired, decided, "2026-12-01T00:00:00Z");
        if (status == null) {
            return null;
        }
        CustomResource copy = JSON.clone(base);
        copy.setStatus(status);
        copy.getMetadata().setResourceVersion(base.getMetadata().getResourceVersion() + "+");
        writes.add(new Write(base.getMetadata().getName(), nanos.get(), status));
        shown.put(base.getMetadata().getName(), status);
        return copy;
    }

    @AfterEach
    void close() {
        if (updater != null) {
            updater.close();
        }
    }

    static GatewayRoute route(String name, long generation) {
        GatewayRoute r = new GatewayRoute();
        r.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("default").withUid("uid-" + name)
                .withGeneration(generation).withResourceVersion(String.valueOf(generation)).build()); // a new generation is a new version
        r.setSpec(new GatewayRouteSpec());
        r.getSpec().serviceRef = new ObjectRef("svc");
        r.getSpec().paths = List.of("/" + name);
        r.getSpec().priority = (int) generation;
        return r;
    }

    static StatusUpdater.Desired desired(List<GatewayRoute> routes, long version) {
        GatewayService svc = new GatewayService();
        svc.setMetadata(new ObjectMetaBuilder().withName("svc").withNamespace("default").withUid("uid-svc")
                .withGeneration(1L).withResourceVersion("1").build());
        svc.setSpec(new GatewayServiceSpec());
        svc.getSpec().url = "http://backend.internal:8080";
        ClusterState state = new ClusterState(null, List.of(svc), routes, null, null, null, null);
        return new StatusUpdater.Desired(state, Translator.translate(state), version, null);
    }

    static List<GatewayRoute> routes(int n) {
        List<GatewayRoute> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(route("r" + i, 1));
        }
        return out;
    }

    /** A fleet of {@code connected} proxies, {@code acked} of them up to date with every version. */
    static ProxyFleet fleet(int connected, int acked) {
        return new ProxyFleet() {
            @Override
            public int connected() {
                return connected;
            }

            @Override
            public int ackedAtLeast(long version) {
                return acked;
            }

            @Override
            public Map<String, String> rejections(long version) {
                return Map.of();
            }
        };
    }

    static void await(BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(5);
        }
    }

    double count(String result) {
        return registry.get("gatehouse.controller.status.writes").tag("result", result).counter().count();
    }

    static Condition condition(GatewayStatus s, String type) {
        return s.conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElseThrow();
    }

    @Test
    void theRateLimitHoldsOverEveryWindow() throws Exception {
        updater = new StatusUpdater(this::record, new ControllerConfig.StatusRate(50, 10), registry, fakeTime);
        updater.fleet(fleet(1, 1));
        updater.leading(true);
        updater.offer(desired(routes(300), 7));
        await(() -> writes.size() == 301, "301 writes (300 routes and their service)");

        long start = writes.get(0).at();
        for (int i = 0; i < writes.size(); i++) {
            double seconds = (writes.get(i).at() - start) / 1e9;
            assertThat(i + 1).as("writes up to write %d, %.3f s after the first", i, seconds)
                    .isLessThanOrEqualTo(10 + (int) Math.floor(50 * seconds + 1e-6));
        }
        assertThat((writes.get(writes.size() - 1).at() - start) / 1e9).as("seconds for 301 writes at 50/s after a burst of 10")
                .isGreaterThanOrEqualTo((301 - 10) / 50.0 - 0.02);
        assertThat(count("written")).isEqualTo(301);
        assertThat(registry.get("gatehouse.controller.status.rate_limited").timer().count()).isPositive();
        assertThat(registry.get("gatehouse.controller.status.queued").gauge().value()).isZero();
    }

    @Test
    void theIngressAndGatewayApiPassesDrawOnTheSameBudget() throws Exception {
        updater = new StatusUpdater(this::record, new ControllerConfig.StatusRate(10, 5), registry, fakeTime);
        updater.fleet(fleet(1, 1));
        updater.leading(true);
        List<Long> permitted = new CopyOnWriteArrayList<>();
        CountDownLatch othersDone = new CountDownLatch(1);
        StatusUpdater.Desired own = desired(routes(4), 7); // 4 routes and their service: the whole burst
        updater.offer(new StatusUpdater.Desired(own.state(), own.translation(), 7, pace -> {
            for (int i = 0; i < 20; i++) {
                assertThat(pace.permit()).isTrue();
                permitted.add(nanos.get());
            }
            othersDone.countDown();
        }));
        assertThat(othersDone.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(writes).hasSize(5);
        long start = writes.get(0).at();
        for (int i = 0; i < permitted.size(); i++) {
            double seconds = (permitted.get(i) - start) / 1e9;
            assertThat(5 + i + 1).as("writes of both passes up to the other pass's write %d, %.3f s after the first", i, seconds)
                    .isLessThanOrEqualTo(5 + (int) Math.floor(10 * seconds + 1e-6));
        }
        assertThat((permitted.get(19) - start) / 1e9).as("20 more writes at 10/s after the burst went to the own pass")
                .isGreaterThanOrEqualTo(2.0 - 0.01);
    }

    @Test
    void aNewerStateEndsTheIngressAndGatewayApiPass() throws Exception {
        updater = new StatusUpdater(this::record, new ControllerConfig.StatusRate(1000, 1000), registry, fakeTime);
        updater.fleet(fleet(1, 1));
        updater.leading(true);
        CountDownLatch firstPermit = new CountDownLatch(1);
        CountDownLatch newerOffered = new CountDownLatch(1);
        List<Boolean> answers = new CopyOnWriteArrayList<>();
        StatusUpdater.Desired own = desired(List.of(route("a", 1)), 7);
        updater.offer(new StatusUpdater.Desired(own.state(), own.translation(), 7, pace -> {
            answers.add(pace.permit());
            firstPermit.countDown();
            try {
                newerOffered.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            answers.add(pace.permit());
        }));
        assertThat(firstPermit.await(10, TimeUnit.SECONDS)).isTrue();
        updater.offer(desired(List.of(route("a", 2)), 8));
        newerOffered.countDown();
        await(() -> answers.size() == 2, "the second permit's answer");
        assertThat(answers).containsExactly(true, false);
    }

    @Test
    void aBurstOf500ChangesCoalescesAndTheNewestWins() throws Exception {
        CountDownLatch hold = new CountDownLatch(1);
        updater = new StatusUpdater((base, desired, decided) -> {
            try {
                hold.await(10, TimeUnit.SECONDS); // the first write is in flight while the burst arrives
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return record(base, desired, decided);
        }, new ControllerConfig.StatusRate(1000, 1000), registry, fakeTime);
        updater.fleet(fleet(1, 1));
        updater.leading(true);
        for (int g = 1; g <= 500; g++) {
            updater.offer(desired(List.of(route("edited", g)), 100 + g));
        }
        hold.countDown();
        await(() -> shown.containsKey("edited")
                && Long.valueOf(500).equals(condition(shown.get("edited"), "Accepted").getObservedGeneration()), "generation 500 shown");
        await(() -> registry.get("gatehouse.controller.status.queued").gauge().value() == 0, "the last pass to end");

        List<Write> ofEdited = writes.stream().filter(w -> w.name().equals("edited")).toList();
        assertThat(ofEdited).as("writes of the route over 500 changes").hasSizeLessThanOrEqualTo(3);
        assertThat(condition(ofEdited.get(ofEdited.size() - 1).status(), "Programmed").getStatus()).isEqualTo("True");
        assertThat(registry.get("gatehouse.controller.status.passes").counter().count()).isLessThan(10);
    }

    @Test
    void aProxyAcknowledgingIsWrittenWithoutANewState() throws Exception {
        updater = new StatusUpdater(this::record, ControllerConfig.StatusRate.DEFAULT, registry, fakeTime);
        updater.fleet(fleet(1, 0));
        updater.leading(true);
        updater.offer(desired(List.of(route("a", 1)), 7));
        await(() -> shown.containsKey("a"), "a's first status");
        assertThat(condition(shown.get("a"), "Programmed").getMessage()).isEqualTo("no connected proxy has applied a snapshot yet");

        updater.fleet(fleet(1, 1));
        updater.proxiesChanged();
        await(() -> "True".equals(condition(shown.get("a"), "Programmed").getStatus())
                && "True".equals(condition(shown.get("svc"), "Programmed").getStatus()), "a and svc programmed");
        assertThat(condition(shown.get("a"), "Programmed").getMessage()).isEqualTo("applied by every connected proxy");

        // a second proxy connects (not yet synced), then catches up: nothing to write either time
        int before = writes.size();
        double passes = registry.get("gatehouse.controller.status.passes").counter().count();
        updater.fleet(fleet(2, 1));
        updater.proxiesChanged();
        await(() -> registry.get("gatehouse.controller.status.passes").counter().count() > passes, "the pass after the connect");
        updater.fleet(fleet(2, 2));
        updater.proxiesChanged();
        await(() -> registry.get("gatehouse.controller.status.passes").counter().count() > passes + 1, "the pass after the ACK");
        assertThat(writes).hasSize(before);
    }

    @Test
    void aFailedWriteIsRetriedAfterABackoff() throws Exception {
        AtomicLong failures = new AtomicLong();
        updater = new StatusUpdater((base, desired, decided) -> {
            if (failures.getAndIncrement() == 0) {
                throw new KubernetesClientException("the API server is overloaded", 503, null);
            }
            return record(base, desired, decided);
        }, ControllerConfig.StatusRate.DEFAULT, registry, fakeTime);
        updater.fleet(fleet(1, 1));
        updater.leading(true);
        long offered = nanos.get();
        updater.offer(desired(List.of(route("a", 1)), 7));
        await(() -> writes.size() == 2, "both objects written");
        Write retried = writes.get(1); // the other object is written at once, in the same pass
        assertThat(count("failed")).isEqualTo(1);
        assertThat(retried.at() - offered).as("the retry waited for its backoff").isGreaterThanOrEqualTo(StatusShown.FIRST_RETRY.toNanos());
    }

    @Test
    void onlyTheLeaderWrites() throws Exception {
        updater = new StatusUpdater(this::record, ControllerConfig.StatusRate.DEFAULT, registry, fakeTime);
        updater.fleet(fleet(1, 1));
        updater.offer(desired(routes(3), 7));
        updater.proxiesChanged();
        assertThat(registry.get("gatehouse.controller.status.passes").counter().count()).isZero();
        updater.leading(true);
        await(() -> writes.size() == 4, "the new leader's pass");
        assertThat(registry.get("gatehouse.controller.status.passes").counter().count()).isEqualTo(1);
    }

    /**
     * A rollout at full size: the publish path is never quiet, and a newer state arrives while each
     * pass plans (planning over 27 000 objects outlasts the time between two publishes), which used
     * to end every pass before its first write. Status is still written, the bound after the first
     * change, with a state of the stream, and again a bound later.
     */
    @Test
    void aStreamOfChangesNewerThanEveryPassIsWrittenWithinTheBound() throws Exception {
        Duration bound = Duration.ofSeconds(2);
        AtomicLong generation = new AtomicLong(1);
        updater = new StatusUpdater(this::record, new ControllerConfig.StatusRate(1000, 1000, Duration.ofMillis(100), bound),
                quiet -> -1, registry, fakeTime);
        updater.fleet(new ProxyFleet() {
            @Override
            public int connected() {
                return 1;
            }

            @Override
            public int ackedAtLeast(long version) {
                return 1;
            }

            @Override
            public Map<String, String> rejections(long version) { // read as a pass plans: a publish meanwhile
                long g = generation.incrementAndGet();
                updater.offer(desired(List.of(route("edited", g)), 100 + g));
                return Map.of();
            }
        });
        long first = nanos.get();
        updater.offer(desired(List.of(route("edited", 1)), 101));
        updater.leading(true);
        await(() -> writes.stream().filter(w -> w.name().equals("edited")).count() >= 2, "two writes during the stream");

        List<Write> ofEdited = writes.stream().filter(w -> w.name().equals("edited")).toList();
        assertThat(ofEdited.get(0).at() - first).as("the first write: the bound after the first change, not sooner")
                .isBetween(bound.toNanos(), bound.toNanos() + StatusPacer.POLL_NANOS);
        assertThat(condition(ofEdited.get(0).status(), "Accepted").getObservedGeneration())
                .as("the newest state when the batch began (none came during the pause here)").isEqualTo(1L);
        assertThat(ofEdited.get(1).at() - ofEdited.get(0).at()).as("the next batch a bound later")
                .isBetween(bound.toNanos(), bound.toNanos() + StatusPacer.POLL_NANOS);
        assertThat(condition(ofEdited.get(1).status(), "Accepted").getObservedGeneration())
                .isGreaterThan(condition(ofEdited.get(0).status(), "Accepted").getObservedGeneration());
        assertThat(registry.get("gatehouse.controller.status.pause_overruns").counter().count()).isGreaterThanOrEqualTo(2);
    }
}
