package dev.gatehouse.e2e;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.gatehouse.app.ControllerCommand;
import dev.gatehouse.app.DemoBackend;
import dev.gatehouse.app.ProxyCommand;
import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.controller.channel.ChannelServer;
import dev.gatehouse.controller.channel.ChannelServerConfig;
import dev.gatehouse.controller.k8s.ControllerConfig;
import dev.gatehouse.controller.k8s.MockApiServer;
import dev.gatehouse.proxy.ProxyConfig;
import dev.gatehouse.proxy.channel.ChannelClientConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.net.URI;
import dev.gatehouse.controller.channel.TestCa;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static dev.gatehouse.e2e.Cluster.await;
import static dev.gatehouse.e2e.Cluster.condition;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The channel as the chart runs it, end to end: the controller serves {@code wss://} with a
 * certificate its own CA signed, and each proxy trusts only the CA file it is given. A proxy
 * pinned to the right CA converges (snapshot, traffic, status); one pinned to another CA is
 * refused, says so in one log line, never serves, and is not counted as connected; given the
 * right CA file it converges too, without a restart.
 */
class ChannelTlsE2ETest {
    private static final Duration CONVERGE = Duration.ofSeconds(20);

    @TempDir
    static Path certs;
    static TestCa cluster;
    static TestCa other;

    @TempDir
    Path state;
    MockApiServer server;
    KubernetesClient client;
    ControllerCommand.Running controller;
    final List<AutoCloseable> started = new ArrayList<>();
    final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    @BeforeAll
    static void makeCas() throws Exception {
        cluster = TestCa.create(certs.resolve("cluster"), "gatehouse-channel-ca", "dns:localhost");
        other = TestCa.caOnly(certs.resolve("other"), "someone-elses-ca");
    }

    @BeforeEach
    void start() throws Exception {
        logs.start();
        root.addAppender(logs);
        server = new MockApiServer();
        client = server.newClient();
        DemoBackend one = track(DemoBackend.start("127.0.0.1", 0, "pod-1"));
        DemoBackend two = track(DemoBackend.start("127.0.0.1", 0, "pod-2"));
        client.resource(Cluster.service("echo")).create();
        client.resource(Cluster.slice("echo-1", "echo", one, true, false)).create();
        client.resource(Cluster.slice("echo-2", "echo", two, true, false)).create();
        Cluster.applySeedWithPods(client);
        KubernetesClient own = server.newClient();
        controller = ControllerCommand.Running.start(own,
                new ControllerConfig(List.of(), Cluster.NS, "gatehouse-controller", "controller-tls",
                        Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(200)),
                new ChannelServerConfig("127.0.0.1", 0, Cluster.TOKEN, cluster.cert(), cluster.key()), new SimpleMeterRegistry());
    }

    @AfterEach
    void stop() throws Exception {
        Collections.reverse(started);
        for (AutoCloseable c : started) {
            c.close();
        }
        if (controller != null) {
            controller.close();
        }
        server.close();
        root.detachAppender(logs);
        logs.stop();
    }

    private <T extends AutoCloseable> T track(T c) {
        started.add(c);
        return c;
    }

    private ProxyCommand.Running proxy(String id, Path caFile) throws Exception {
        URI wss = URI.create("wss://localhost:" + controller.channel.port() + ChannelServer.PATH);
        return track(ProxyCommand.Running.start(new ProxyConfig("127.0.0.1", 0, 2, Duration.ofSeconds(5)), 0,
                new ChannelClientConfig(wss, Cluster.TOKEN, id, Files.createDirectories(state.resolve(id)), false, caFile)));
    }

    private List<String> lines(String text) {
        synchronized (logs) {
            return logs.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains(text)).toList();
        }
    }

    @Test
    void aProxyPinnedToTheClusterCaConvergesAndOnePinnedToAnotherIsRefused() throws Exception {
        Path wrongCa = Files.copy(other.caCert(), state.resolve("pinned-ca.crt"));
        ProxyCommand.Running right = proxy("proxy-right", cluster.caCert());
        ProxyCommand.Running wrong = proxy("proxy-wrong", wrongCa);

        await(CONVERGE, () -> right.proxy.current() == null ? 0 : right.proxy.current().routes().size(), n -> n == 2,
                "the proxy pinned to the cluster CA serves the seed");
        Http http = new Http(right.proxy.port());
        assertThat(http.get("/").statusCode()).isEqualTo(200);
        assertThat(http.get("/profile", "apikey", "my-secret-key").statusCode()).isEqualTo(200);

        List<String> refused = await(CONVERGE, () -> lines("event=channel.refused"), l -> !l.isEmpty(),
                "the proxy pinned to another CA says why");
        assertThat(refused).singleElement().asString()
                .contains("reason=untrusted-certificate").contains("proxy=proxy-wrong").contains("ca-file=" + wrongCa)
                .contains("fix=\"the controller's certificate is not signed by the CA in ca-file");
        GatewayRoute root = await(CONVERGE, () -> Cluster.route(client, "root"),
                r -> condition(r, "Programmed") != null && "True".equals(condition(r, "Programmed").getStatus()), "Programmed");
        assertThat(condition(root, "Programmed").getMessage()).isEqualTo("applied by every connected proxy");
        assertThat(controller.channel.proxies()).extracting(p -> p.proxyId()).containsExactly("proxy-right");
        assertThat(wrong.proxy.listening()).as("a proxy with nothing applied opens no port").isFalse();
        assertThat(wrong.channel.lastAppliedVersion()).isZero();
        assertThat(lines(Cluster.TOKEN)).as("the token is in no log line").isEmpty();

        // the operator mounts the right ca.crt: the proxy trusts it at its next attempt
        Files.copy(cluster.caCert(), wrongCa, StandardCopyOption.REPLACE_EXISTING);
        await(CONVERGE, () -> wrong.proxy.current() == null ? 0 : wrong.proxy.current().routes().size(), n -> n == 2,
                "the proxy converges once given the cluster CA");
        assertThat(new Http(wrong.proxy.port()).get("/").statusCode()).isEqualTo(200);
        await(CONVERGE, () -> controller.channel.ackedAtLeast(controller.controller.published().version()), n -> n == 2,
                "both proxies acknowledged the snapshot");
        // statuses are written paced after the acknowledgements: wait for root's, then read it
        GatewayRoute programmed = await(CONVERGE, () -> Cluster.route(client, "root"),
                r -> condition(r, "Programmed") != null && "True".equals(condition(r, "Programmed").getStatus()),
                "root Programmed=True with both proxies");
        assertThat(condition(programmed, "Programmed").getMessage()).isEqualTo("applied by every connected proxy");
        assertThat(lines("event=channel.refused")).as("one line for the whole run of refusals").hasSize(1);
    }
}
