package dev.gatehouse.e2e;

import dev.gatehouse.app.ControllerCommand;
import dev.gatehouse.app.ProxyCommand;
import dev.gatehouse.controller.files.ManifestReader;
import dev.gatehouse.controller.k8s.IngressConfig;
import dev.gatehouse.controller.k8s.MockApiServer;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static dev.gatehouse.e2e.Cluster.NS;
import static dev.gatehouse.e2e.Cluster.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * One cluster per test: the Fabric8 mock API server, the real controller and one real proxy on its
 * channel, and echo backends behind Services; everything started is stopped after the test, last
 * started first.
 */
abstract class OneProxyE2E {
    MockApiServer server;
    KubernetesClient client;
    @TempDir
    Path state;
    final List<AutoCloseable> running = new ArrayList<>();
    ProxyCommand.Running proxy;

    @AfterEach
    void stopAll() throws Exception {
        Collections.reverse(running);
        for (AutoCloseable c : running) {
            c.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** The mock API server and a client of it, once per test. */
    void startServer() {
        if (server == null) {
            server = new MockApiServer();
            client = server.newClient();
        }
    }

    /** The controller ({@code controller-a}, with {@code ingress}) and one proxy ({@code proxy-a}) on its channel. */
    void startControllerAndProxy(IngressConfig ingress) throws Exception {
        startServer();
        ControllerCommand.Running controller = Cluster.controller(server.newClient(), "controller-a", 0, ingress);
        running.add(controller);
        proxy = Cluster.proxy(controller.channel.port(), "proxy-a", state);
        running.add(proxy);
    }

    /** An echo backend named {@code name}, stopped after the test. */
    EchoBackend echo(String name) throws Exception {
        EchoBackend b = EchoBackend.start(name);
        running.add(b);
        return b;
    }

    /** Service {@code namespace/name}: port 80, named http, to target port 8080. */
    void service(String namespace, String name) {
        client.resource(new ServiceBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withNewSpec().addNewPort().withName("http").withPort(80).withTargetPort(new IntOrString(8080)).endPort().endSpec()
                .build()).create();
    }

    /** EndpointSlice {@code slice} of Service {@code namespace/service}: one ready endpoint, the backend on loopback. */
    void slice(String namespace, String service, String slice, EchoBackend pod) {
        client.resource(new EndpointSliceBuilder().withNewMetadata().withName(slice).withNamespace(namespace)
                .addToLabels("kubernetes.io/service-name", service).endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(pod.port()).withProtocol("TCP").endPort()
                .addNewEndpoint().withAddresses("127.0.0.1").withNewConditions().withReady(true).endConditions().endEndpoint()
                .build()).create();
    }

    /** Service {@code namespace/name} with one pod, {@code pod}, in slice {@code name-1}. */
    void service(String namespace, String name, EchoBackend pod) {
        service(namespace, name);
        slice(namespace, name, name + "-1", pod);
    }

    /** Applies YAML as {@code kubectl apply -f} would: a namespaced object without a namespace goes to {@link Cluster#NS}. */
    void apply(String yaml) {
        ManifestReader.Result r = ManifestReader.read("test.yaml", yaml);
        assertThat(r.errors()).isEmpty();
        for (HasMetadata o : r.objects()) {
            if (o instanceof Namespaced && o.getMetadata().getNamespace() == null) {
                o.getMetadata().setNamespace(NS);
            }
            client.resource(o).create();
        }
    }

    RawGet.Answer get(String host, String path, String... headers) {
        return RawGet.get(proxy.proxy.port(), host, path, headers);
    }

    /** Waits until a request answers as expected: the proxy has the snapshot that holds it. */
    void awaitAnswer(Duration within, String host, String path, String expectedStart, String... headers)
            throws InterruptedException {
        await(within, () -> proxy.proxy.listening() ? get(host, path, headers).toString() : "not listening",
                a -> a.startsWith(expectedStart), host + path + " answers " + expectedStart);
    }

    static Condition condition(List<Condition> conditions, String type) {
        return conditions == null ? null : conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }
}
