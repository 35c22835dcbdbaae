package dev.gatehouse.controller.k8s;

import dev.gatehouse.api.v1alpha1.Consumer;
import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.api.v1alpha1.GatewayService;
import dev.gatehouse.api.v1alpha1.Upstream;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.controller.files.ManifestReader;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/** The real controller against the Fabric8 mock API server (CRUD mode). */
@ExtendWith(MockApiServerExtension.class)
class ControllerMockServerTest {
    KubernetesMockServer server;
    KubernetesClient client;

    static ControllerConfig fast(String identity) {
        return new ControllerConfig(List.of(), "default", "gatehouse-controller", identity,
                Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(200));
    }

    /**
     * Waits up to 30 s for {@code done}: a bound on waiting for an event on the mock API server (a
     * controller's start, its informers' sync, a status write), not a figure; on 2 busy cores a
     * controller's first request has come 14 s after its start.
     */
    static <T> T await(Supplier<T> value, java.util.function.Predicate<T> done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        T v = value.get();
        while (!done.test(v)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + "; last: " + v);
            }
            Thread.sleep(20);
            v = value.get();
        }
        return v;
    }

    void applySeed() throws Exception {
        String seed = Files.readString(Path.of("../examples/seed/seed.yaml"))
                // the mock server never folds stringData into data (a real API server does)
                .replace("stringData: {key: my-secret-key}", "data: {key: bXktc2VjcmV0LWtleQ==}");
        for (HasMetadata o : ManifestReader.read("seed.yaml", seed).objects()) {
            o.getMetadata().setNamespace("default");
            client.resource(o).create();
        }
    }

    static Condition condition(HasMetadata o, String type) {
        dev.gatehouse.api.v1alpha1.GatewayStatus status = o instanceof io.fabric8.kubernetes.client.CustomResource<?, ?> cr
                ? (dev.gatehouse.api.v1alpha1.GatewayStatus) cr.getStatus() : null;
        return status == null || status.conditions == null ? null
                : status.conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    GatewayRoute route(String name) {
        return client.resources(GatewayRoute.class).inNamespace("default").withName(name).get();
    }

    @Test
    void translatesPublishesAndWritesStatus() throws Exception {
        List<Snapshot> published = new CopyOnWriteArrayList<>();
        applySeed();
        try (Controller controller = new Controller(client, fast("a"), published::add, new io.micrometer.core.instrument.simple.SimpleMeterRegistry()).start()) {
            await(() -> published.isEmpty() ? null : published.get(published.size() - 1),
                    s -> s != null && s.routes().size() == 2 && s.consumers().size() == 1, "the seed snapshot");
            GatewayRoute profile = await(() -> route("profile"), r -> condition(r, "Programmed") != null, "status on profile");
            assertThat(condition(profile, "Accepted").getStatus()).isEqualTo("True");
            assertThat(condition(profile, "ResolvedRefs").getStatus()).isEqualTo("True");
            assertThat(condition(profile, "Programmed").getStatus()).isEqualTo("False");
            assertThat(condition(profile, "Programmed").getMessage()).isEqualTo("no proxy is connected");
            Upstream upstream = await(() -> client.resources(Upstream.class).inNamespace("default").withName("moesif").get(),
                    u -> u.getStatus() != null && u.getStatus().targets != null, "upstream target count");
            assertThat(upstream.getStatus().targets).isEqualTo(2);

            // nothing changed for profile: no write. The status pass after changed() runs no later
            // than the one that writes the bad route's status below; the mock server's record of
            // requests shows whether any wrote profile's status (its resourceVersion would not:
            // the mock keeps it on a write of identical content)
            requests();
            controller.changed();

            // an invalid route: refused with a message naming the field, an Event, the rest still served
            GatewayRoute bad = new GatewayRoute();
            bad.getMetadata().setName("bad");
            bad.getMetadata().setNamespace("default");
            bad.setSpec(new dev.gatehouse.api.v1alpha1.GatewayRouteSpec());
            bad.getSpec().serviceRef = new dev.gatehouse.api.v1alpha1.ObjectRef("moesif-service");
            bad.getSpec().paths = List.of("~/users/(\\d+");
            client.resource(bad).create();
            GatewayRoute refused = await(() -> route("bad"), r -> condition(r, "Accepted") != null, "status on bad");
            assertThat(condition(refused, "Accepted").getStatus()).isEqualTo("False");
            assertThat(condition(refused, "Accepted").getReason()).isEqualTo("Invalid");
            assertThat(condition(refused, "Accepted").getMessage()).startsWith("spec.paths[0]: invalid regex");
            await(() -> client.v1().events().inNamespace("default").list().getItems(),
                    events -> events.stream().anyMatch(e -> "bad".equals(e.getInvolvedObject().getName())
                            && "Warning".equals(e.getType()) && e.getMessage().contains("spec.paths[0]")), "a Warning event");
            assertThat(published.get(published.size() - 1).routes()).hasSize(2);
            assertThat(requests()).as("writes of profile's unchanged status").noneMatch(r -> r.getMethod().equals("PUT")
                    && r.getPath().contains("/gatewayroutes/profile/status"));
        }
    }

    @Test
    void generatesAKeySecretOnceOwnedByTheConsumer() throws Exception {
        List<Snapshot> published = new CopyOnWriteArrayList<>();
        Consumer c = new Consumer();
        c.getMetadata().setName("gen");
        c.getMetadata().setNamespace("default");
        c.setSpec(new dev.gatehouse.api.v1alpha1.ConsumerSpec());
        c.getSpec().username = "gen";
        c.getSpec().keyAuth = new dev.gatehouse.api.v1alpha1.ConsumerSpec.KeyAuth();
        c.getSpec().keyAuth.generate = true;
        Consumer created = client.resource(c).create();
        try (Controller controller = new Controller(client, fast("a"), published::add, new io.micrometer.core.instrument.simple.SimpleMeterRegistry()).start()) {
            Secret secret = await(() -> client.secrets().inNamespace("default").withName("gen-key-auth").get(),
                    s -> s != null, "the generated Secret");
            assertThat(secret.getMetadata().getLabels()).containsEntry("gatehouse.dev/credential", "key-auth");
            assertThat(secret.getMetadata().getOwnerReferences()).singleElement().satisfies(o -> {
                assertThat(o.getKind()).isEqualTo("Consumer");
                assertThat(o.getUid()).isEqualTo(created.getMetadata().getUid());
            });
            String key = new String(java.util.Base64.getDecoder().decode(secret.getData().get("key")));
            assertThat(key).hasSize(43);
            Snapshot s = await(() -> published.isEmpty() ? null : published.get(published.size() - 1),
                    x -> x != null && x.consumers().size() == 1 && x.consumers().get(0).credentials().size() == 1, "the key in the snapshot");
            assertThat(s.consumers().get(0).credentials().get(0).digest().matches(dev.gatehouse.config.KeyDigest.of(key))).isTrue();
            // another consumer's key: the generator has run again since gen's Secret existed
            c.getMetadata().setName("gen2");
            c.getMetadata().setResourceVersion(null);
            c.getMetadata().setUid(null);
            client.resource(c).create();
            await(() -> client.secrets().inNamespace("default").withName("gen2-key-auth").get(), x -> x != null, "gen2's Secret");
            Secret after = client.secrets().inNamespace("default").withName("gen-key-auth").get();
            assertThat(after.getData()).as("never overwritten").isEqualTo(secret.getData());
            assertThat(after.getMetadata().getResourceVersion()).as("never rewritten").isEqualTo(secret.getMetadata().getResourceVersion());
        }
    }

    /** A client of the mock server whose requests say {@code agent} in User-Agent, so the server's record shows who sent what. */
    KubernetesClient replica(String agent) {
        return server.createClient(b -> b.editOrNewConfig().withUserAgent(agent).endConfig());
    }

    /** Every request the mock server received since the last call, in order. */
    List<RecordedRequest> requests() throws InterruptedException {
        List<RecordedRequest> out = new java.util.ArrayList<>();
        for (RecordedRequest r = server.takeRequest(50, TimeUnit.MILLISECONDS); r != null; r = server.takeRequest(50, TimeUnit.MILLISECONDS)) {
            out.add(r);
        }
        return out;
    }

    /**
     * Each replica's requests carry its own User-Agent; the mock server's record of every request
     * shows which replica wrote status. Leases long enough (15 s, renewed every 200 ms) that the
     * leadership cannot move during the test; the Lease's transitions prove it did not.
     */
    @Test
    void twoControllersBothPublishButOnlyTheLeaderWritesStatus() throws Exception {
        List<Snapshot> a = new CopyOnWriteArrayList<>();
        List<Snapshot> b = new CopyOnWriteArrayList<>();
        applySeed();
        ControllerConfig lasting = new ControllerConfig(List.of(), "default", "gatehouse-controller", "a",
                Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofMillis(200));
        try (KubernetesClient clientA = replica("replica-a");
             KubernetesClient clientB = replica("replica-b");
             Controller first = new Controller(clientA, lasting, a::add, new io.micrometer.core.instrument.simple.SimpleMeterRegistry()).start();
             Controller second = new Controller(clientB, new ControllerConfig(List.of(), "default", "gatehouse-controller", "b",
                     lasting.leaseDuration(), lasting.renewDeadline(), lasting.retryPeriod()), b::add,
                     new io.micrometer.core.instrument.simple.SimpleMeterRegistry()).start()) {
            await(() -> a.size() + "/" + b.size(), s -> !a.isEmpty() && !b.isEmpty(), "both publish from their own cache");
            Controller leader = await(() -> first.leader() ? first : second.leader() ? second : null, x -> x != null, "a leader");
            Controller follower = leader == first ? second : first;
            List<Snapshot> followerPublished = leader == first ? b : a;
            String leaderAgent = leader == first ? "replica-a" : "replica-b";
            String followerAgent = leader == first ? "replica-b" : "replica-a";
            Lease lease = client.leases().inNamespace("default").withName("gatehouse-controller").get();
            requests(); // what came before the election settled is not looked at

            // two changes: the follower's rebuild of the first one (where it would write status,
            // right after publishing) is over once it published the second
            for (int priority : new int[] {5, 6}) {
                client.resources(GatewayRoute.class).inNamespace("default").withName("root").patch(
                        io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                        "{\"spec\":{\"priority\":" + priority + "}}");
                await(() -> followerPublished.get(followerPublished.size() - 1), s -> s.routes().stream()
                        .anyMatch(r -> r.id().equals("default/root") && r.priority() == priority), "the follower published priority " + priority);
            }
            GatewayRoute root = await(() -> route("root"), r -> condition(r, "Accepted") != null
                    && Long.valueOf(r.getMetadata().getGeneration()).equals(condition(r, "Accepted").getObservedGeneration()),
                    "root's status for its last generation");
            // the follower retries the Lease every retryPeriod: wait for one such request rather than
            // assume the window above was long enough to hold one
            List<RecordedRequest> seen = new java.util.ArrayList<>(requests());
            await(() -> {
                try {
                    seen.addAll(requests());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
                return seen.stream().anyMatch(r -> followerAgent.equals(r.getHeader("User-Agent"))
                        && r.getPath().contains("/leases/gatehouse-controller"));
            }, contending -> contending, "the follower contending for the Lease");
            List<String> statusWriters = seen.stream().filter(r -> r.getPath().contains("/status")
                            && (r.getMethod().equals("PUT") || r.getMethod().equals("PATCH")))
                    .map(r -> r.getHeader("User-Agent")).toList();
            assertThat(statusWriters).as("User-Agent of every status write").isNotEmpty().containsOnly(leaderAgent);
            assertThat(seen).as("the follower kept contending for the Lease").anyMatch(r -> followerAgent.equals(r.getHeader("User-Agent"))
                    && r.getPath().contains("/leases/gatehouse-controller"));
            assertThat(follower.leader()).as("exactly one leader").isFalse();
            assertThat(leader.leader()).isTrue();
            Lease now = client.leases().inNamespace("default").withName("gatehouse-controller").get();
            assertThat(now.getSpec().getHolderIdentity()).isEqualTo(lease.getSpec().getHolderIdentity());
            assertThat(now.getSpec().getLeaseTransitions()).as("leadership never moved").isEqualTo(lease.getSpec().getLeaseTransitions());
            assertThat(condition(root, "Programmed")).isNotNull();
            assertThat(a.get(a.size() - 1).routes()).isEqualTo(b.get(b.size() - 1).routes());
        }
    }
}
