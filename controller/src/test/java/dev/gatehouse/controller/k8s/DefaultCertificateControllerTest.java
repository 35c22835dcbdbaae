package dev.gatehouse.controller.k8s;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.gatehouse.config.Certificate;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.controller.translate.TestCertificates;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.gatehouse.controller.k8s.ControllerMockServerTest.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The default certificate in a cluster: its Secret outside the watched namespaces is read by an
 * informer of its own; while it is missing the controller logs one warning naming the flag and
 * the fix and publishes without a fallback; once it exists the snapshot holds it as the fallback.
 */
@ExtendWith(MockApiServerExtension.class)
class DefaultCertificateControllerTest {
    KubernetesMockServer server;
    KubernetesClient client;

    @Test
    void aMissingDefaultIsLoggedOnceAndServedOnceItExists() throws Exception {
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        Logger controllerLog = (Logger) LoggerFactory.getLogger(Controller.class);
        controllerLog.addAppender(logs);
        List<Snapshot> published = new CopyOnWriteArrayList<>();
        ControllerConfig config = new ControllerConfig(List.of("default"), "default", "gatehouse-controller", "a",
                Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(200))
                .withDefaultCertificate("gatehouse-system/edge-tls");
        try (Controller controller = new Controller(client, config, published::add,
                new io.micrometer.core.instrument.simple.SimpleMeterRegistry()).start()) {
            await(() -> published.isEmpty() ? null : published.get(0), s -> s != null, "a first snapshot");
            assertThat(published.get(0).certificates()).isEmpty();
            List<String> warned = await(() -> lines(logs, "event=tls.default_certificate"), l -> !l.isEmpty(), "the warning");
            assertThat(warned).singleElement().asString().contains("served=false", "--default-certificate-secret gatehouse-system/edge-tls",
                    "not found in namespace gatehouse-system", "(fix:");

            Instant now = Instant.now();
            TestCertificates.Leaf leaf = TestCertificates.leaf(TestCertificates.ca("edge CA"), List.of("edge.example.com"),
                    now.minusSeconds(60), now.plusSeconds(86_400 * 90), TestCertificates.KeyType.EC, TestCertificates.KeyFormat.PKCS8);
            client.resource(new SecretBuilder().withNewMetadata().withName("edge-tls").withNamespace("gatehouse-system").endMetadata()
                    .withType("kubernetes.io/tls")
                    .addToData("tls.crt", Base64.getEncoder().encodeToString(leaf.chainPem().getBytes(StandardCharsets.UTF_8)))
                    .addToData("tls.key", Base64.getEncoder().encodeToString(leaf.keyPem().getBytes(StandardCharsets.UTF_8)))
                    .build()).create();
            Snapshot withFallback = await(() -> published.get(published.size() - 1), s -> !s.certificates().isEmpty(),
                    "the default certificate published");
            Certificate fallback = withFallback.certificates().get(0);
            assertThat(fallback.id()).isEqualTo("gatehouse-system/edge-tls");
            assertThat(fallback.fallback()).isTrue();
            assertThat(fallback.serverNames()).isEmpty();
            assertThat(lines(logs, "event=tls.default_certificate")).hasSize(2).last().asString().contains("served=true");
        } finally {
            controllerLog.detachAppender(logs);
        }
    }

    private static List<String> lines(ListAppender<ILoggingEvent> logs, String text) {
        synchronized (logs) {
            return logs.list.stream().map(ILoggingEvent::getFormattedMessage).filter(m -> m.contains(text)).toList();
        }
    }
}
