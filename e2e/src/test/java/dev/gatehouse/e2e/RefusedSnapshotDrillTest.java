package dev.gatehouse.e2e;

import dev.gatehouse.app.ProxyCommand;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.config.channel.Nack;
import dev.gatehouse.controller.channel.ChannelServer;
import dev.gatehouse.controller.channel.ChannelServerConfig;
import dev.gatehouse.controller.channel.ProxyState;
import dev.gatehouse.controller.files.ManifestReader;
import dev.gatehouse.controller.translate.Translator;
import dev.gatehouse.e2e.DrillBackend.Behaviour;
import dev.gatehouse.proxy.channel.ChannelClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static dev.gatehouse.e2e.Cluster.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault drill: a snapshot the proxy must refuse. The controller's channel server pushes to a
 * real proxy (over the real channel, with a state dir) snapshots the translator made from YAML,
 * then one a controller of another build could send: the only target's weight out of range and
 * the other target gone. The proxy NACKs it naming the field, keeps serving (and keeps on disk)
 * the last good one — traffic still reaches both targets — and takes the next good one.
 */
class RefusedSnapshotDrillTest {
    @TempDir
    Path state;

    static Snapshot translate(int... ports) {
        StringBuilder targets = new StringBuilder();
        for (int p : ports) {
            targets.append(targets.isEmpty() ? "" : ", ").append("{address: \"127.0.0.1:").append(p).append("\"}");
        }
        String yaml = """
                apiVersion: gatehouse.dev/v1alpha1
                kind: Upstream
                metadata: {name: drill}
                spec: {targets: [%s]}
                ---
                apiVersion: gatehouse.dev/v1alpha1
                kind: GatewayService
                metadata: {name: drill}
                spec: {upstreamRef: {name: drill}}
                ---
                apiVersion: gatehouse.dev/v1alpha1
                kind: GatewayRoute
                metadata: {name: drill}
                spec: {serviceRef: {name: drill}, paths: ["/"]}
                """.formatted(targets);
        ManifestReader.Result read = ManifestReader.read("drill.yaml", yaml);
        assertThat(read.errors()).isEmpty();
        return Translator.translate(ManifestReader.state(read.objects()), dev.gatehouse.controller.translate.TlsSettings.at(java.time.Instant.now())).snapshot();
    }

    @Test
    void aRefusedSnapshotIsNackedAndTheLastGoodKeepsServing() throws Exception {
        try (DrillBackend one = DrillBackend.start("one", Behaviour.ANSWER);
             DrillBackend two = DrillBackend.start("two", Behaviour.ANSWER);
             ChannelServer channel = ChannelServer.start(new ChannelServerConfig("127.0.0.1", 0, Cluster.TOKEN, null, null))) {
            channel.publish(translate(one.port(), two.port()).withVersion(1));
            Path stateDir = Files.createDirectories(state.resolve("proxy"));
            try (ProxyCommand.Running proxy = Cluster.proxy(channel.port(), "proxy-drill", stateDir)) {
                await(Duration.ofSeconds(10), () -> proxy.proxy.listening() && channel.allAcked(1), x -> x, "v1 applied");
                DrillLoad load = DrillLoad.start("nack", proxy.proxy.port(), 3, "/");
                try (load) {
                    await(Duration.ofSeconds(30), load::answered, n -> n >= 200, "200 requests on v1");

                    Snapshot good = translate(one.port(), two.port());
                    Upstream u = good.upstreams().get(0);
                    Upstream broken = new Upstream(u.id(), u.source(), u.algorithm(), u.hashOn(), u.hashFallback(),
                            List.of(new Upstream.Target("127.0.0.1", two.port(), 70_000)), u.healthChecks(), u.slowStartMillis(),
                            u.stickyCookie());
                    channel.publish(new Snapshot(2, good.services(), good.routes(), List.of(broken), good.consumers()));
                    ProxyState nacked = await(Duration.ofSeconds(10), () -> channel.proxies().get(0),
                            p -> p.lastNack() != null && p.lastNack().version() == 2, "the NACK of v2");
                    int oneAtNack = one.arrivals.size();
                    int answeredAtNack = load.answered();
                    await(Duration.ofSeconds(30), () -> one.arrivals.size(), n -> n >= oneAtNack + 100,
                            "100 more requests on the target v2 would have removed");
                    long servedAfterNack = proxy.proxy.current().version();
                    Snapshot persisted = ChannelClient.loadPersisted(stateDir);
                    double refused = proxy.proxy.metrics().registry().get("gatehouse.snapshots.refused").counter().count();

                    channel.publish(translate(one.port()).withVersion(3));
                    await(Duration.ofSeconds(10), () -> channel.allAcked(3), x -> x, "v3 applied");
                    int twoAtV3 = two.arrivals.size();
                    int oneAtV3 = one.arrivals.size();
                    await(Duration.ofSeconds(30), () -> one.arrivals.size(), n -> n >= oneAtV3 + 100, "100 requests on v3");
                    load.stop();

                    DrillReport.of("snapshot-refused").load("get", load).put("get.after-nack", load.answered() - answeredAtNack)
                            .put("arrivals.one", one.arrivals.size()).put("arrivals.two", two.arrivals.size())
                            .put("nack.version", nacked.lastNack().version()).put("served.after-nack", servedAfterNack)
                            .put("persisted.after-nack", persisted.version()).put("refused.counter", refused).log();

                    Nack nack = nacked.lastNack();
                    assertThat(nack.errors()).as("the NACK names the object and the field").anySatisfy(e ->
                            assertThat(e.toString()).contains("weight"));
                    assertThat(servedAfterNack).as("the proxy still serves v1").isEqualTo(1);
                    assertThat(persisted.version()).as("and keeps v1 on disk").isEqualTo(1);
                    assertThat(refused).isEqualTo(1.0);
                    assertThat(load.failures).as("requests that failed").isEmpty();
                    assertThat(load.answered()).isEqualTo(load.sent.get());
                    assertThat(two.arrivals.size()).as("after v3, two is no target: at most the requests in flight").isLessThanOrEqualTo(twoAtV3 + 3);
                    assertThat(load.ok).allSatisfy(d -> assertThat(one.count(d.id()) + two.count(d.id())).as(d.id()).isEqualTo(1));
                }
            }
        }
    }
}
