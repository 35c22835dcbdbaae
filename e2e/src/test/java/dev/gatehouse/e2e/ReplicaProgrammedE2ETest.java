package dev.gatehouse.e2e;

import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.app.ControllerCommand;
import dev.gatehouse.app.DemoBackend;
import dev.gatehouse.config.Problem;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.controller.channel.ChannelServerConfig;
import dev.gatehouse.controller.k8s.ControllerConfig;
import dev.gatehouse.controller.k8s.IngressConfig;
import dev.gatehouse.controller.k8s.MockApiServer;
import dev.gatehouse.proxy.channel.ChannelClient;
import dev.gatehouse.proxy.channel.ChannelClientConfig;
import dev.gatehouse.proxy.channel.SnapshotSink;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static dev.gatehouse.e2e.Cluster.NS;
import static dev.gatehouse.e2e.Cluster.await;
import static dev.gatehouse.e2e.Cluster.condition;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Programmed with several controller replicas: every replica serves the channel to its own
 * proxies, only the leader writes status, and the leader counts the proxies of the other replicas
 * from the reports they keep in their own Leases. Two (or three) real controllers on one Fabric8
 * mock server (CRUD mode), the real channel, and test proxies that can refuse an object or hold
 * their answer. Lease durations are 2 s, reports written at most every 100 ms. A replica stopped
 * mid-test closes its watches; {@link MockApiServer} runs the mock's watch-close work off its event
 * loop, so the others' lease renewals are not held up meanwhile.
 */
class ReplicaProgrammedE2ETest {
    static final Duration WAIT = Duration.ofSeconds(30);
    static final String REFUSAL = "a proxy refused it: proxy proxy-picky: spec.paths: this test proxy refuses generation 1";
    MockApiServer server;
    KubernetesClient client;
    DemoBackend backend;
    ControllerCommand.Running a;
    ControllerCommand.Running b;
    TestProxy proxyA;
    TestProxy proxyB;
    final List<AutoCloseable> extra = new ArrayList<>();
    /** Each replica's own API client, by identity. */
    final java.util.Map<String, KubernetesClient> clients = new java.util.HashMap<>();

    @BeforeEach
    void start() throws Exception {
        server = new MockApiServer();
        client = server.newClient();
        backend = DemoBackend.start("127.0.0.1", 0, "pod-1");
        client.resource(Cluster.service("echo")).create();
        client.resource(Cluster.slice("echo-1", "echo", backend, true, false)).create();
        Cluster.applySeedWithPods(client);
        a = controller("controller-a");
        await(WAIT, () -> a.controller.leader(), x -> x, "controller-a leads");
        b = controller("controller-b");
        proxyA = new TestProxy(a, "proxy-a");
        proxyB = new TestProxy(b, "proxy-b");
        for (TestProxy p : List.of(proxyA, proxyB)) {
            await(WAIT, () -> p.current.routes().size(), n -> n == 2, p.id + " serves the seed");
        }
        for (String route : List.of("root", "profile")) {
            awaitProgrammed(route, "True", "Programmed", 1);
        }
        assertThat(b.controller.leader()).isFalse();
    }

    @AfterEach
    void stop() throws Exception {
        Collections.reverse(extra);
        for (AutoCloseable c : extra) {
            c.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {proxyA, proxyB, b, a, backend}) {
            if (c != null) {
                c.close();
            }
        }
        server.close();
    }

    /** A controller replica with its own client, as each controller pod has one; 2 s leases, reports every 100 ms at most. */
    ControllerCommand.Running controller(String identity) {
        KubernetesClient own = server.newClient();
        ControllerCommand.Running r = ControllerCommand.Running.start(own,
                new ControllerConfig(List.of(), NS, "gatehouse-controller", identity, Duration.ofSeconds(2),
                        Duration.ofMillis(1500), Duration.ofMillis(200), IngressConfig.DEFAULT)
                        .withReplicaReportInterval(Duration.ofMillis(100)),
                new ChannelServerConfig("127.0.0.1", 0, Cluster.TOKEN, null, null), new SimpleMeterRegistry());
        clients.put(identity, own);
        return r;
    }

    @Test
    void aNackOnTheNonLeaderMarksExactlyThatObjectUntilTheConfigIsFixed() throws Exception {
        TestProxy picky = picky(b);
        GatewayRoute profile = awaitProgrammed("profile", "False", "Rejected", 1);
        assertThat(programmed(profile).getMessage()).isEqualTo(REFUSAL);
        assertThat(a.controller.leader()).as("the NACK reached the leader through controller-b's report").isTrue();
        assertThat(a.channel.proxies()).extracting(p -> p.proxyId()).doesNotContain("proxy-picky");
        GatewayRoute root = Cluster.route(client, "root");
        assertThat(programmed(root).getStatus()).as("other objects are not blamed").isEqualTo("True");
        assertThat(programmed(root).getMessage()).isEqualTo("applied by every connected proxy");

        edit("profile", r -> r.getSpec().stripPath = true); // generation 2: the picky proxy takes it
        await(WAIT, () -> picky.current.routes().stream().anyMatch(r -> r.source().name().equals("profile")), x -> x,
                "the picky proxy serves the fixed profile");
        profile = awaitProgrammed("profile", "True", "Programmed", 2);
        assertThat(programmed(profile).getMessage()).isEqualTo("applied by every connected proxy");

        // the replica that does not lead reads nothing new: one list (and watch) of the report Leases, the leader's
        List<String> requests = server.drainRequests();
        assertThat(requests).filteredOn(r -> r.startsWith("GET /apis/coordination.k8s.io/v1/namespaces/default/leases?")
                && r.contains("labelSelector=gatehouse.dev%2Freplica-of%3Dgatehouse-controller") && !r.contains("watch=true"))
                .hasSize(1);
        assertThat(requests).as("no replica reads another's report by name")
                .noneMatch(r -> r.startsWith("GET /apis/coordination.k8s.io/v1/namespaces/default/leases/gatehouse-controller-replica-"));
        assertThat(requests).as("each replica writes its own report")
                .anyMatch(r -> r.startsWith("PUT /apis/coordination.k8s.io/v1/namespaces/default/leases/gatehouse-controller-replica-controller-a"))
                .anyMatch(r -> r.startsWith("PUT /apis/coordination.k8s.io/v1/namespaces/default/leases/gatehouse-controller-replica-controller-b"));
    }

    @Test
    void aProxyOnTheNonLeaderNotOnTheNewGenerationKeepsItPending() throws Exception {
        CountDownLatch held = proxyB.hold();
        edit("root", r -> r.getSpec().preserveHost = true);
        await(WAIT, () -> generation(proxyA, "root"), g -> g == 2, "the leader's proxy applies generation 2");
        // awaited with its message: until the leader has counted proxy-a's ACK, Pending says the local proxies lag
        await(WAIT, () -> Cluster.route(client, "root"), r -> {
            Condition c = programmed(r);
            return c != null && "Pending".equals(c.getReason()) && Long.valueOf(2).equals(c.getObservedGeneration())
                    && "a proxy on replica controller-b is not yet on this config".equals(c.getMessage());
        }, "root Pending at generation 2 on controller-b's proxy alone");
        assertThat(generation(proxyB, "root")).as("controller-b's proxy still holds its answer").isEqualTo(1);
        assertThat(programmed(Cluster.route(client, "profile")).getStatus()).as("an object not edited stays programmed")
                .isEqualTo("True");

        held.countDown();
        await(WAIT, () -> generation(proxyB, "root"), g -> g == 2, "controller-b's proxy applies generation 2");
        GatewayRoute root = awaitProgrammed("root", "True", "Programmed", 2);
        assertThat(programmed(root).getMessage()).isEqualTo("applied by every connected proxy");
    }

    @Test
    void aKilledReplicaCountsUntilItsLeaseExpiresACleanStopNotAtAll() throws Exception {
        picky(b);
        awaitProgrammed("profile", "False", "Rejected", 1);
        String leaseB = "gatehouse-controller-replica-controller-b";
        assertThat(lease(leaseB)).isNotNull();
        assertThat(lease(leaseB).getSpec().getHolderIdentity()).isEqualTo("controller-b");

        // killed: a replica that dies runs nothing more, so its report Lease stays, renewed last at its
        // death. The mock API server cannot stand in for the death itself (its event loop blocks for
        // 30 s writing watch events to a client that vanished with open watches), so the test leaves
        // that Lease as a killed replica would: a copy of controller-b's report, under another
        // replica's name, then controller-b stops cleanly and takes its own Lease with it.
        Lease live = lease(leaseB);
        Lease left = new io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder(live)
                .editMetadata().withName("gatehouse-controller-replica-controller-k")
                .withResourceVersion(null).withUid(null).withCreationTimestamp(null).endMetadata()
                .editSpec().withHolderIdentity("controller-k").endSpec().build();
        // the copy runs out 2 s after its renewTime, whenever controller-b's loaded renewal thread last wrote it
        java.time.ZonedDateTime runsOut = left.getSpec().getRenewTime().plusSeconds(left.getSpec().getLeaseDurationSeconds());
        client.resource(left).create();
        b.close();
        b = null;
        assertThat(lease(leaseB)).as("a clean stop deletes its Lease").isNull();
        awaitProgrammed("profile", "True", "Programmed", 1);
        assertThat(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC)).as("counted until its 2 s lease ran out")
                .isAfterOrEqualTo(runsOut);
        assertThat(lease("gatehouse-controller-replica-controller-k"))
                .as("a killed replica leaves its Lease; the leader ignores it").isNotNull();

        ControllerCommand.Running c = controller("controller-c");
        TestProxy pickyC = picky(c);
        awaitProgrammed("profile", "False", "Rejected", 1);
        pickyC.close();
        c.close(); // clean: its Lease goes with it
        assertThat(lease("gatehouse-controller-replica-controller-c")).as("deleted on a clean stop").isNull();
        awaitProgrammed("profile", "True", "Programmed", 1);
    }

    @Test
    void aNewLeaderCountsTheOtherReplicasReports() throws Exception {
        ControllerCommand.Running c = controller("controller-c");
        extra.add(c);
        TestProxy proxyC = new TestProxy(c, "proxy-c");
        extra.add(proxyC);
        await(WAIT, () -> proxyC.current.routes().size(), n -> n == 2, "proxy-c serves the seed");

        proxyA.close();
        proxyA = null;
        a.close(); // the leader steps down and releases its Lease
        a = null;
        ControllerCommand.Running leader = await(WAIT, () -> b.controller.leader() ? b : c.controller.leader() ? c : null,
                x -> x != null, "a new leader");
        ControllerCommand.Running other = leader == b ? c : b;
        picky(other);
        GatewayRoute profile = awaitProgrammed("profile", "False", "Rejected", 1);
        assertThat(programmed(profile).getMessage()).isEqualTo(REFUSAL);
        assertThat(leader.channel.proxies()).extracting(p -> p.proxyId()).doesNotContain("proxy-picky");
        assertThat(programmed(Cluster.route(client, "root")).getStatus()).isEqualTo("True");
    }

    /** A proxy on {@code replica} that refuses route profile at generation 1, and serves anything else. */
    TestProxy picky(ControllerCommand.Running replica) {
        TestProxy p = new TestProxy(replica, "proxy-picky");
        p.refuse = r -> r.source().name().equals("profile") && r.source().generation() == 1;
        extra.add(p);
        p.connect();
        return p;
    }

    Lease lease(String name) {
        return client.leases().inNamespace(NS).withName(name).get();
    }

    void edit(String route, java.util.function.Consumer<GatewayRoute> change) {
        client.resources(GatewayRoute.class).inNamespace(NS).withName(route).edit(r -> {
            change.accept(r);
            return r;
        });
    }

    static long generation(TestProxy p, String route) {
        return p.current.routes().stream().filter(r -> r.source().name().equals(route)).mapToLong(r -> r.source().generation())
                .findFirst().orElse(0);
    }

    static Condition programmed(GatewayRoute r) {
        return condition(r, "Programmed");
    }

    GatewayRoute awaitProgrammed(String route, String status, String reason, long generation) throws InterruptedException {
        return await(WAIT, () -> Cluster.route(client, route), r -> {
            Condition c = programmed(r);
            return c != null && status.equals(c.getStatus()) && reason.equals(c.getReason())
                    && Long.valueOf(generation).equals(c.getObservedGeneration());
        }, route + " Programmed=" + status + "/" + reason + " at generation " + generation);
    }

    /**
     * A proxy that keeps the snapshot it is given (no traffic port): it refuses a snapshot holding
     * a route {@link #refuse} matches, with that route's uid, and while {@link #hold} is set it
     * answers nothing until released.
     */
    static final class TestProxy implements SnapshotSink, AutoCloseable {
        final String id;
        final URI uri;
        volatile Snapshot current = Snapshot.EMPTY;
        volatile Predicate<Route> refuse = r -> false;
        private volatile CountDownLatch held;
        private ChannelClient client;

        TestProxy(ControllerCommand.Running replica, String id) {
            this.id = id;
            this.uri = URI.create("ws://127.0.0.1:" + replica.channel.port());
            if (!id.equals("proxy-picky")) {
                connect();
            }
        }

        void connect() {
            client = ChannelClient.start(ChannelClientConfig.of(uri, Cluster.TOKEN, id), this);
        }

        /** From now on each snapshot waits (at most 30 s) until the returned latch is counted down. */
        CountDownLatch hold() {
            CountDownLatch l = new CountDownLatch(1);
            held = l;
            return l;
        }

        @Override
        public List<Problem> apply(Snapshot snapshot) {
            CountDownLatch l = held;
            if (l != null) {
                try {
                    l.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            for (Route r : snapshot.routes()) {
                if (refuse.test(r)) {
                    return List.of(new Problem(r.source(), "spec.paths", "this test proxy refuses generation 1"));
                }
            }
            current = snapshot;
            return List.of();
        }

        @Override
        public Snapshot current() {
            return current;
        }

        @Override
        public void close() {
            CountDownLatch l = held;
            if (l != null) {
                l.countDown();
            }
            if (client != null) {
                client.close();
            }
        }
    }
}
