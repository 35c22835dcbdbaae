package dev.gatehouse.e2e;

import dev.gatehouse.app.ControllerCommand;
import dev.gatehouse.app.DemoBackend;
import dev.gatehouse.app.ProxyCommand;
import dev.gatehouse.api.v1alpha1.Consumer;
import dev.gatehouse.api.v1alpha1.ConsumerSpec;
import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.api.v1alpha1.GatewayRouteSpec;
import dev.gatehouse.api.v1alpha1.ObjectRef;
import dev.gatehouse.api.v1alpha1.Upstream;
import dev.gatehouse.controller.k8s.MockApiServer;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.gatehouse.e2e.Cluster.NS;
import static dev.gatehouse.e2e.Cluster.await;
import static dev.gatehouse.e2e.Cluster.condition;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Kubernetes half end to end: the Fabric8 mock API server (CRUD mode) stands in for the
 * cluster; the real controller watches it and pushes over the real channel to two real proxies;
 * traffic goes to real backends that an EndpointSlice names (pods as targets).
 *
 * <p>Mock-server differences are worked around in the test environment only: see
 * {@link Cluster#applySeedWithPods} and {@link MockApiServer}.
 */
class ClusterE2ETest {
    /**
     * How long an outcome is awaited: generous, as the machine may be loaded (CI: two busy cores).
     * How fast changes converge is measured and printed, never asserted here (docs/scale.md).
     */
    static final Duration WITHIN = Duration.ofSeconds(30);
    MockApiServer server;
    KubernetesClient client;
    @TempDir
    Path state;

    DemoBackend one;
    DemoBackend two;
    ControllerCommand.Running controller;
    ProxyCommand.Running proxyA;
    ProxyCommand.Running proxyB;
    int channelPort;
    final List<AutoCloseable> extra = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        server = new MockApiServer();
        client = server.newClient();
        one = DemoBackend.start("127.0.0.1", 0, "pod-1");
        two = DemoBackend.start("127.0.0.1", 0, "pod-2");
        client.resource(Cluster.service("echo")).create();
        client.resource(Cluster.slice("echo-1", "echo", one, true, false)).create();
        client.resource(Cluster.slice("echo-2", "echo", two, true, false)).create();
        Cluster.applySeedWithPods(client);
        controller = Cluster.controller(newClient(), "controller-a", 0);
        channelPort = controller.channel.port();
        proxyA = Cluster.proxy(channelPort, "proxy-a", Files.createDirectories(state.resolve("a")));
        proxyB = Cluster.proxy(channelPort, "proxy-b", Files.createDirectories(state.resolve("b")));
        await(WITHIN, () -> proxyA.proxy.current().routes().size() + proxyB.proxy.current().routes().size(),
                n -> n == 4, "both proxies serve the seed");
    }

    KubernetesClient newClient() {
        return server.newClient();
    }

    @AfterEach
    void stop() throws Exception {
        Collections.reverse(extra);
        for (AutoCloseable c : extra) {
            c.close();
        }
        for (AutoCloseable c : new AutoCloseable[] {proxyA, proxyB, controller, one, two}) {
            if (c != null) {
                c.close();
            }
        }
        server.close();
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes());
    }

    @Test
    void theWalkthroughThroughEveryProxyWithPodsAsTargets() throws Exception {
        String consumerUid = Cluster.consumer(client, "moesif").getMetadata().getUid();
        for (ProxyCommand.Running p : List.of(proxyA, proxyB)) {
            Http http = new Http(p.proxy.port());
            Set<String> servedBy = new HashSet<>();
            String previous = null;
            for (int i = 0; i < 6; i++) {
                HttpResponse<String> r = http.get("/");
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("Hello from my service");
                assertThat(Http.servedBy(r)).isNotEqualTo(previous);
                previous = Http.servedBy(r);
                servedBy.add(previous);
            }
            assertThat(servedBy).containsExactlyInAnyOrder("pod-1", "pod-2");
            assertThat(http.get("/profile").statusCode()).isEqualTo(401);
            assertThat(http.get("/profile", "apikey", "wrong").statusCode()).isEqualTo(401);
            HttpResponse<String> ok = http.get("/profile", "apikey", "my-secret-key", "X-Consumer-ID", "spoofed");
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.body()).contains("\"id\":\"" + (consumerUid != null ? consumerUid : "")).doesNotContain("spoofed");
        }
        // status: Accepted, ResolvedRefs and Programmed by both proxies, as kubectl would show
        GatewayRoute profile = await(WITHIN, () -> Cluster.route(client, "profile"),
                r -> condition(r, "Programmed") != null && "True".equals(condition(r, "Programmed").getStatus()), "Programmed=True");
        assertThat(condition(profile, "Programmed").getMessage()).isEqualTo("applied by every connected proxy");
        assertThat(condition(profile, "Accepted").getStatus()).isEqualTo("True");
        // the Upstream's status is its own write, paced after the publish like every other: wait for it
        Upstream up = await(WITHIN, () -> client.resources(Upstream.class).inNamespace(NS).withName("moesif").get(),
                u -> u.getStatus() != null && u.getStatus().targets != null, "the Upstream's first status");
        assertThat(up.getStatus().targets).isEqualTo(2);
        assertThat(up.getStatus().readyTargets).isEqualTo(2);
    }

    @Test
    void trafficFollowsEndpointsWithinASecond() throws Exception {
        DemoBackend three = DemoBackend.start("127.0.0.1", 0, "pod-3");
        extra.add(three);
        Http http = new Http(proxyA.proxy.port());
        client.resource(Cluster.slice("echo-3", "echo", three, true, false)).create();
        await(WITHIN, () -> servedBy(http, 9), s -> s.contains("pod-3"), "a new endpoint gets traffic");

        client.resource(Cluster.slice("echo-1", "echo", one, false, false)).update();
        await(WITHIN, () -> servedBy(http, 9), s -> !s.contains("pod-1") && s.size() == 2, "a not-ready endpoint gets none");

        client.resource(Cluster.slice("echo-2", "echo", two, false, true)).update(); // terminating, still serving: drained
        await(WITHIN, () -> servedBy(http, 9), s -> s.equals(Set.of("pod-3")), "a terminating endpoint is drained");
        Upstream shown = await(WITHIN, () -> client.resources(Upstream.class).inNamespace(NS).withName("moesif").get(),
                u -> u.getStatus() != null && Integer.valueOf(1).equals(u.getStatus().readyTargets), "kubectl get upstreams: 1 ready");
        assertThat(shown.getStatus().targets).as("pod-2 drained, pod-3 ready, pod-1 not ready: not a target").isEqualTo(2);

        client.resource(Cluster.slice("echo-3", "echo", three, true, false)).delete();
        await(WITHIN, () -> http.status("/"), s -> s == 503, "no endpoint left: 503");
    }

    /**
     * A proxy of another build that cannot take one object NACKs the snapshot with that object's
     * UID and generation: exactly that object shows Programmed=False with the proxy's reason.
     * (Controller and proxy run the same validation, so a NACK needs a proxy that differs; this
     * one wraps a real ProxyServer and refuses any snapshot holding the route "profile".)
     */
    @Test
    void aNackMarksExactlyTheObjectAtFaultNotProgrammed() throws Exception {
        // statuses are written paced after a publish: root is programmed before the picky proxy comes
        await(WITHIN, () -> Cluster.route(client, "root"),
                r -> condition(r, "Programmed") != null && "True".equals(condition(r, "Programmed").getStatus()),
                "Programmed=True on root before the picky proxy connects");
        try (dev.gatehouse.proxy.ProxyServer real = dev.gatehouse.proxy.ProxyServer.start(
                new dev.gatehouse.proxy.ProxyConfig("127.0.0.1", 0, 1, Duration.ofSeconds(1)));
             dev.gatehouse.proxy.channel.ChannelClient picky = dev.gatehouse.proxy.channel.ChannelClient.start(
                     dev.gatehouse.proxy.channel.ChannelClientConfig.of(java.net.URI.create("ws://127.0.0.1:" + channelPort),
                             Cluster.TOKEN, "proxy-old"), new dev.gatehouse.proxy.channel.SnapshotSink() {
                         @Override
                         public List<dev.gatehouse.config.Problem> apply(dev.gatehouse.config.Snapshot snapshot) {
                             for (dev.gatehouse.config.Route r : snapshot.routes()) {
                                 if (r.source().name().equals("profile")) {
                                     return List.of(new dev.gatehouse.config.Problem(r.source(), "spec.plugins.keyAuth",
                                             "key-auth is not supported by this proxy build"));
                                 }
                             }
                             return real.apply(snapshot);
                         }

                         @Override
                         public dev.gatehouse.config.Snapshot current() {
                             return real.current();
                         }
                     })) {
            GatewayRoute profile = await(WITHIN, () -> Cluster.route(client, "profile"),
                    r -> condition(r, "Programmed") != null && "Rejected".equals(condition(r, "Programmed").getReason()),
                    "Programmed=False/Rejected on profile");
            assertThat(condition(profile, "Programmed").getStatus()).isEqualTo("False");
            assertThat(condition(profile, "Programmed").getMessage())
                    .isEqualTo("a proxy refused it: proxy proxy-old: spec.plugins.keyAuth: key-auth is not supported by this proxy build");
            // a proxy that never applied a snapshot does not count: root stays programmed
            GatewayRoute root = Cluster.route(client, "root");
            assertThat(condition(root, "Programmed").getStatus()).as("other objects are not blamed").isEqualTo("True");
            assertThat(condition(root, "Programmed").getMessage()).isEqualTo("applied by every connected proxy");
            // the good proxies keep serving the snapshot
            assertThat(new Http(proxyA.proxy.port()).status("/profile", "apikey", "my-secret-key")).isEqualTo(200);
        }
    }

    @Test
    void aDeletedRouteIs404AndAnInvalidObjectIsRefusedAlone() throws Exception {
        Http http = new Http(proxyB.proxy.port());
        GatewayRoute bad = new GatewayRoute();
        bad.getMetadata().setName("bad");
        bad.getMetadata().setNamespace(NS);
        bad.setSpec(new GatewayRouteSpec());
        bad.getSpec().serviceRef = new ObjectRef("moesif-service");
        bad.getSpec().paths = List.of("~/users/(\\d+");
        client.resource(bad).create();
        GatewayRoute refused = await(WITHIN, () -> Cluster.route(client, "bad"),
                r -> condition(r, "Accepted") != null, "Accepted on the bad route");
        assertThat(condition(refused, "Accepted").getStatus()).isEqualTo("False");
        assertThat(condition(refused, "Accepted").getMessage()).startsWith("spec.paths[0]: invalid regex");
        assertThat(http.get("/").statusCode()).isEqualTo(200);

        client.resources(GatewayRoute.class).inNamespace(NS).withName("root").delete();
        await(WITHIN, () -> http.status("/"), s -> s == 404, "deleted route: 404");
        assertThat(http.get("/").body()).startsWith("{\"message\":\"no Route matched with those values\"");
        assertThat(http.get("/profile", "apikey", "my-secret-key").statusCode()).isEqualTo(200);
    }

    @Test
    void aControllerRestartUnderTrafficFailsNoRequest() throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger();
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        Thread load = new Thread(() -> {
            Http http = new Http(proxyA.proxy.port());
            while (running.get()) {
                try {
                    int s = http.get("/").statusCode();
                    if (s == 200) {
                        ok.incrementAndGet();
                    } else {
                        failures.add("status " + s);
                    }
                } catch (Exception e) {
                    failures.add(e.toString());
                }
            }
        });
        load.start();
        LocalWalkthroughTest.awaitMoreAnswered(ok, 20);
        controller.close();
        await(WITHIN, () -> !proxyA.channel.connected() && !proxyB.channel.connected(), c -> c, "proxies see it gone");
        LocalWalkthroughTest.awaitMoreAnswered(ok, 20);
        controller = Cluster.controller(newClient(), "controller-a", channelPort);
        await(WITHIN, () -> proxyA.channel.connected() && proxyB.channel.connected(), c -> c, "proxies reconnect");
        LocalWalkthroughTest.awaitMoreAnswered(ok, 20);
        running.set(false);
        load.join(5_000);
        assertThat(failures).isEmpty();
        assertThat(ok.get()).isGreaterThan(20);
    }

    /** With --state-dir the port opens at once, from the persisted snapshot, and the proxy is ready. */
    @Test
    void aProxyRestartedWhileTheControllerIsDownServesThePersistedSnapshot() throws Exception {
        controller.close();
        controller = null;
        proxyA.close();
        int port = Cluster.reserveFreePort();
        proxyA = Cluster.proxy(channelPort, "proxy-a", state.resolve("a"), port);
        assertThat(proxyA.proxy.listening()).as("open when start returns").isTrue();
        assertThat(proxyA.proxy.port()).isEqualTo(port);
        Http http = new Http(port);
        assertThat(proxyA.channel.connected()).isFalse();
        assertThat(http.get("/").statusCode()).isEqualTo(200);
        assertThat(http.get("/profile", "apikey", "my-secret-key").statusCode()).isEqualTo(200);
        HttpResponse<String> readyz = new Http(proxyA.status.port()).get("/readyz");
        assertThat(readyz.statusCode()).isEqualTo(200);
        assertThat(readyz.body().trim()).isEqualTo("ready");
    }

    /**
     * Without a state dir and with no controller reachable a new proxy has nothing to serve: its
     * port stays closed and /readyz says why, until the controller is back and pushes.
     */
    @Test
    void aProxyWithNothingToServeKeepsItsPortClosedUntilTheControllerPushes() throws Exception {
        controller.close();
        controller = null;
        int port = Cluster.reserveFreePort();
        ProxyCommand.Running fresh = Cluster.proxy(channelPort, "proxy-fresh", null, port);
        extra.add(fresh);
        Http status = new Http(fresh.status.port());
        assertThat(Cluster.refuses(port)).as("the data port without any snapshot").isTrue();
        HttpResponse<String> waiting = status.get("/readyz");
        assertThat(waiting.statusCode()).isEqualTo(503);
        assertThat(waiting.body().trim()).isEqualTo("waiting for the first snapshot");

        controller = Cluster.controller(newClient(), "controller-a", channelPort);
        await(WITHIN, () -> fresh.proxy.listening(), x -> x, "the port opens with the controller's push");
        assertThat(fresh.proxy.port()).isEqualTo(port);
        assertThat(new Http(port).get("/").statusCode()).isEqualTo(200);
        assertThat(status.get("/readyz").statusCode()).isEqualTo(200);
    }

    @Test
    void aGeneratedKeyWorksEndToEnd() throws Exception {
        Consumer c = new Consumer();
        c.getMetadata().setName("gen");
        c.getMetadata().setNamespace(NS);
        c.setSpec(new ConsumerSpec());
        c.getSpec().username = "gen";
        c.getSpec().keyAuth = new ConsumerSpec.KeyAuth();
        c.getSpec().keyAuth.generate = true;
        client.resource(c).create();
        Secret secret = await(WITHIN, () -> client.secrets().inNamespace(NS).withName("gen-key-auth").get(),
                s -> s != null, "the generated Secret");
        String key = new String(Base64.getDecoder().decode(secret.getData().get("key")));
        Http http = new Http(proxyA.proxy.port());
        HttpResponse<String> r = await(WITHIN, () -> {
            try {
                return http.get("/profile", "apikey", key);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, x -> x.statusCode() == 200, "the generated key is accepted");
        assertThat(r.body()).contains("\"id\":\"" + Cluster.consumer(client, "gen").getMetadata().getUid() + "\"");
    }

    @Test
    void twoControllersExactlyOneLeads() throws Exception {
        try (ControllerCommand.Running second = Cluster.controller(newClient(), "controller-b", 0)) {
            await(WITHIN, () -> controller.controller.leader() || second.controller.leader(), x -> x, "a leader");
            // the leader renews every retry period, the other contends as often: three renewals
            // give the other as many chances to (wrongly) lead
            java.util.function.Supplier<java.time.ZonedDateTime> renewed = () -> client.leases().inNamespace(NS)
                    .withName("gatehouse-controller").get().getSpec().getRenewTime();
            java.time.ZonedDateTime first = renewed.get();
            await(WITHIN, renewed, t -> t.isAfter(first.plusNanos(3 * 200_000_000L)), "three more renewals");
            assertThat(controller.controller.leader() ^ second.controller.leader()).as("exactly one leader").isTrue();
            // a proxy of the second replica is served from that replica's own cache
            try (ProxyCommand.Running p = Cluster.proxy(second.channel.port(), "proxy-c", null)) {
                await(WITHIN, () -> p.proxy.current().routes().size(), n -> n == 2, "served by the other replica");
            }
        }
    }

    @Test
    void convergenceOf100ConsecutiveChanges() throws Exception {
        List<Long> millis = new ArrayList<>();
        for (int i = 1; i <= 100; i++) {
            final int expected = i;
            long t0 = System.nanoTime();
            // a merge patch, as kubectl patch sends: no resourceVersion, so no conflict with status writes
            client.resources(GatewayRoute.class).inNamespace(NS).withName("root").patch(
                    io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                    "{\"spec\":{\"priority\":" + expected + "}}");
            await(WITHIN, () -> proxyA.proxy.current().routes().stream().anyMatch(x -> x.priority() == expected)
                    && proxyB.proxy.current().routes().stream().anyMatch(x -> x.priority() == expected), ok -> ok, "change " + i);
            millis.add((System.nanoTime() - t0) / 1_000_000);
        }
        List<Long> sorted = millis.stream().sorted().toList();
        long p50 = sorted.get(49);
        long p99 = sorted.get(98);
        System.out.printf("CONVERGENCE write -> both proxies applied, 100 changes: p50=%d ms p99=%d ms max=%d ms%n",
                p50, p99, sorted.get(99));
        var timer = controller.controller.convergence().timer();
        System.out.printf("CONVERGENCE controller histogram (event -> every ACK): count=%d mean=%.1f ms max=%.1f ms%n",
                timer.count(), timer.mean(java.util.concurrent.TimeUnit.MILLISECONDS), timer.max(java.util.concurrent.TimeUnit.MILLISECONDS));
        // every change reached both proxies (awaited above); the controller's timer is recorded when the last
        // ACK arrives, on its own thread, so it is awaited too, never read once
        await(WITHIN, timer::count, n -> n >= 90, "the controller's convergence timer counting the changes");
    }

    static Set<String> servedBy(Http http, int requests) {
        Set<String> out = new HashSet<>();
        for (int i = 0; i < requests; i++) {
            try {
                HttpResponse<String> r = http.get("/");
                if (r.statusCode() == 200) {
                    out.add(Http.servedBy(r));
                }
            } catch (Exception e) {
                out.add("error: " + e);
            }
        }
        return out;
    }
}
