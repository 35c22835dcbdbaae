package dev.gatehouse.e2e;

import dev.gatehouse.app.Gatehouse;
import dev.gatehouse.app.ProxyCommand;
import dev.gatehouse.controller.k8s.MockApiServer;
import dev.gatehouse.e2e.DrillBackend.Behaviour;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static dev.gatehouse.e2e.Cluster.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault drill: the controller is killed (SIGKILL: `gatehouse controller` in a process of its
 * own, against the mock API server through a kubeconfig) and restarted under load. The proxies
 * keep serving their last snapshot, reconnect to the new process on the same channel port, and
 * converge: a change made while the controller was down, and one made after, reach both. The
 * channel port is held by the test from before the first controller binds it to the end, so that
 * nothing else on the machine can take it while no controller listens.
 */
class ControllerKillDrillTest {
    /**
     * Requests a second per client (four clients): steady load that leaves the shared CPUs room
     * for the restarted controller's JVM to start (back-to-back load made that take 18 s here).
     */
    static final int RATE = 100;
    /**
     * How long a step may take before the drill fails: a bound, not a figure. A controller in a child
     * JVM lists, elects and publishes in a few seconds on a quiet machine, and took over 30 s with
     * the two cores loaded twentyfold; what the drill counts (failed requests) does not depend on it.
     */
    static final Duration SETTLE = Duration.ofSeconds(90);
    MockApiServer server;
    final List<AutoCloseable> closeables = new ArrayList<>();
    @TempDir
    Path dir;

    @AfterEach
    void stop() throws Exception {
        Collections.reverse(closeables);
        for (AutoCloseable c : closeables) {
            c.close();
        }
        if (server != null) {
            server.close();
        }
    }

    <T extends AutoCloseable> T closing(T c) {
        closeables.add(c);
        return c;
    }

    /**
     * `gatehouse controller` on {@code channelPort}, watching the mock API server; returns once its
     * channel listens. Its output goes to target/drill-logs/&lt;name&gt;.log.
     */
    ChildJvm controller(String name, int channelPort, Path kubeconfig, Path token) throws Exception {
        ChildJvm c = closing(ChildJvm.start(Gatehouse.class,
                Map.of("KUBECONFIG", kubeconfig.toString(), "POD_NAME", name, "POD_NAMESPACE", Cluster.NS,
                        "KUBERNETES_REQUEST_TIMEOUT", MockApiServer.REQUEST_TIMEOUT_MILLIS),
                Files.createDirectories(Path.of("target/drill-logs")).resolve(name + ".log"), "controller", "--token-file", token.toString(), "--namespace", Cluster.NS,
                "--channel-address", "127.0.0.1", "--channel-port", String.valueOf(channelPort),
                "--status-address", "127.0.0.1", "--status-port", "0"));
        c.awaitLine(ChildJvm.START, l -> l.contains("event=channel.listening"), name + "'s channel listening");
        return c;
    }

    @Test
    void theControllerKilledAndRestartedUnderLoadFailsNoRequest() throws Exception {
        server = new MockApiServer();
        KubernetesClient client = server.newClient();
        DrillBackend one = closing(DrillBackend.start("pod-1", Behaviour.ANSWER));
        DrillBackend two = closing(DrillBackend.start("pod-2", Behaviour.ANSWER));
        DrillCluster.apply(client, List.of(one, two));
        Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), """
                apiVersion: v1
                kind: Config
                clusters: [{name: mock, cluster: {server: "%s", insecure-skip-tls-verify: true}}]
                users: [{name: drill, user: {token: drill}}]
                contexts: [{name: mock, context: {cluster: mock, user: drill, namespace: default}}]
                current-context: mock
                """.formatted(client.getMasterUrl()));
        Path token = Files.writeString(dir.resolve("token"), Cluster.TOKEN);
        // held from here to the end: the port stays the controllers' while neither listens (Cluster.PortHold)
        int channelPort = closing(new Cluster.PortHold()).port();

        ChildJvm first = controller("controller-1", channelPort, kubeconfig, token);
        ProxyCommand.Running a = closing(Cluster.proxy(channelPort, "proxy-a", Files.createDirectories(dir.resolve("a"))));
        ProxyCommand.Running b = closing(Cluster.proxy(channelPort, "proxy-b", Files.createDirectories(dir.resolve("b"))));
        await(SETTLE, () -> a.proxy.listening() && b.proxy.listening()
                && a.proxy.current().routes().size() == 2 && b.proxy.current().routes().size() == 2, x -> x, "both proxies serve the seed");
        DrillLoad loadA = closing(DrillLoad.start("ctl-a", a.proxy.port(), 2, "/", RATE));
        DrillLoad loadB = closing(DrillLoad.start("ctl-b", b.proxy.port(), 2, "/", RATE));
        await(SETTLE, () -> loadA.answered() + loadB.answered(), n -> n >= 200, "load on both proxies");

        long killedAt = System.nanoTime();
        first.kill();
        await(SETTLE, () -> !a.channel.connected() && !b.channel.connected(), x -> x, "the proxies see the controller gone");
        long noticedMillis = (System.nanoTime() - killedAt) / 1_000_000;
        DrillCluster.patchRootPriority(client, 7); // made while no controller runs
        int atKill = loadA.answered() + loadB.answered();
        await(SETTLE, () -> loadA.answered() + loadB.answered(), n -> n >= atKill + 400,
                "400 requests served with no controller");

        long restartAt = System.nanoTime();
        controller("controller-2", channelPort, kubeconfig, token);
        long listeningMillis = (System.nanoTime() - restartAt) / 1_000_000;
        await(SETTLE, () -> a.channel.connected() && b.channel.connected(), x -> x, "the proxies reconnect");
        long reconnectedMillis = (System.nanoTime() - restartAt) / 1_000_000;
        long outageMillis = (System.nanoTime() - killedAt) / 1_000_000;
        int duringOutage = loadA.answered() + loadB.answered() - atKill;
        await(SETTLE, () -> DrillCluster.hasRootPriority(a, 7) && DrillCluster.hasRootPriority(b, 7), x -> x,
                "the change made during the outage reaches both");
        long convergedMillis = (System.nanoTime() - restartAt) / 1_000_000;
        long changeAt = System.nanoTime();
        DrillCluster.patchRootPriority(client, 8);
        await(SETTLE, () -> DrillCluster.hasRootPriority(a, 8) && DrillCluster.hasRootPriority(b, 8), x -> x,
                "a change after the restart reaches both");
        long nextChangeMillis = (System.nanoTime() - changeAt) / 1_000_000;
        int settled = loadA.answered() + loadB.answered();
        await(SETTLE, () -> loadA.answered() + loadB.answered(), n -> n >= settled + 100, "traffic after the restart");
        loadA.stop();
        loadB.stop();

        DrillReport.of("controller-killed").load("get.a", loadA).load("get.b", loadB).put("get.during-outage", duringOutage)
                .put("outage.ms", outageMillis)
                .put("outage.noticed.ms", noticedMillis).put("restart.listening.ms", listeningMillis)
                .put("restart.reconnected.ms", reconnectedMillis)
                .put("restart.converged.ms", convergedMillis).put("next-change.ms", nextChangeMillis)
                .put("arrivals.pod-1", one.arrivals.size()).put("arrivals.pod-2", two.arrivals.size()).log();

        assertThat(loadA.failures).as("requests through proxy a that failed").isEmpty();
        assertThat(loadB.failures).as("requests through proxy b that failed").isEmpty();
        assertThat(loadA.answered()).isEqualTo(loadA.sent.get());
        assertThat(loadB.answered()).isEqualTo(loadB.sent.get());
        assertThat(a.proxy.currentContentHash()).as("both proxies on the same snapshot").isEqualTo(b.proxy.currentContentHash());
        for (DrillLoad load : List.of(loadA, loadB)) {
            assertThat(load.ok).allSatisfy(d -> assertThat(one.count(d.id()) + two.count(d.id())).as("%s arrived once", d.id()).isEqualTo(1));
        }
    }
}
