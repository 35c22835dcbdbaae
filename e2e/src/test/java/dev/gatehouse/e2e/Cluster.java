package dev.gatehouse.e2e;

import dev.gatehouse.app.ControllerCommand;
import dev.gatehouse.app.DemoBackend;
import dev.gatehouse.app.ProxyCommand;
import dev.gatehouse.api.v1alpha1.Consumer;
import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.controller.channel.ChannelServer;
import dev.gatehouse.controller.channel.ChannelServerConfig;
import dev.gatehouse.controller.k8s.ControllerConfig;
import dev.gatehouse.proxy.ProxyConfig;
import dev.gatehouse.proxy.channel.ChannelClientConfig;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Helpers of the cluster end-to-end tests: objects as a user would apply them, and waiting. */
final class Cluster {
    static final String NS = "default";
    static final String TOKEN = "e2e-channel-token-0123456789";

    private Cluster() {
    }

    /**
     * Applies examples/seed as a user would, with the Upstream pointed at Service {@code echo}'s
     * ready endpoints (pods as targets) instead of localhost:9001/9002. The Secret is written with
     * {@code data}: the mock server never folds {@code stringData} (a real API server does).
     */
    static void applySeedWithPods(KubernetesClient client) throws java.io.IOException {
        String seed = java.nio.file.Files.readString(Path.of("../examples/seed/seed.yaml")).replace("stringData: {key: my-secret-key}",
                "data: {key: " + java.util.Base64.getEncoder().encodeToString("my-secret-key".getBytes()) + "}");
        for (HasMetadata o : dev.gatehouse.controller.files.ManifestReader.read("seed.yaml", seed).objects()) {
            o.getMetadata().setNamespace(NS);
            if (o instanceof dev.gatehouse.api.v1alpha1.Upstream u) {
                u.getSpec().targets = null;
                u.getSpec().serviceRef = new dev.gatehouse.api.v1alpha1.UpstreamSpec.ServiceRef();
                u.getSpec().serviceRef.name = "echo";
                u.getSpec().serviceRef.port = new IntOrString("http");
            }
            client.resource(o).create();
        }
    }

    static ControllerCommand.Running controller(KubernetesClient client, String identity, int channelPort) {
        return controller(client, identity, channelPort, dev.gatehouse.controller.k8s.IngressConfig.DEFAULT);
    }

    /** A controller serving Ingresses as {@code ingress} says (class, published addresses). */
    static ControllerCommand.Running controller(KubernetesClient client, String identity, int channelPort,
                                                dev.gatehouse.controller.k8s.IngressConfig ingress) {
        return ControllerCommand.Running.start(client,
                new ControllerConfig(java.util.List.of(), NS, "gatehouse-controller", identity,
                        Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(200), ingress),
                new ChannelServerConfig("127.0.0.1", channelPort, TOKEN, null, null), new SimpleMeterRegistry());
    }

    static ProxyCommand.Running proxy(int channelPort, String id, Path stateDir) {
        return proxy(channelPort, id, stateDir, 0);
    }

    /** A proxy that will listen on {@code port} (0: ephemeral) once it has a snapshot. */
    static ProxyCommand.Running proxy(int channelPort, String id, Path stateDir, int port) {
        return ProxyCommand.Running.start(new ProxyConfig("127.0.0.1", port, 2, Duration.ofSeconds(5)), 0,
                new ChannelClientConfig(java.net.URI.create("ws://127.0.0.1:" + channelPort + ChannelServer.PATH), TOKEN,
                        id, stateDir, false, null));
    }

    /** A port that was free a moment ago (bound to 0 on loopback, read, closed): a proxy's port is known only once open. */
    static int reserveFreePort() throws java.io.IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /**
     * A free loopback port held for as long as the hold is open, for a server that must bind the same
     * port again after a restart: a socket bound to it with SO_REUSEADDR and never listening. While it
     * is held no other socket on the machine is given the port (an ephemeral bind or an outgoing
     * connection from another test JVM in the gap between a server's death and its successor's start
     * made the successor's bind fail with "Address already in use"); a connect to it is refused as to
     * any closed port; and a server binding it with SO_REUSEADDR, as the channel server does, binds and
     * listens beside the hold (Linux lets a listener share a port with bound sockets that do not listen
     * when both set the option). A pod's network namespace gives its port to no one else; this is the
     * stand-in.
     */
    static final class PortHold implements AutoCloseable {
        private final java.net.Socket socket = new java.net.Socket();

        PortHold() throws java.io.IOException {
            socket.setReuseAddress(true);
            socket.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0));
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() throws java.io.IOException {
            socket.close();
        }
    }

    /** True when a connect to {@code port} on loopback is refused: nothing listens. */
    static boolean refuses(int port) throws java.io.IOException {
        try (java.net.Socket s = new java.net.Socket()) {
            s.connect(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 1_000);
            return false;
        } catch (java.net.ConnectException e) {
            return true;
        }
    }

    /** A Kubernetes Service {@code name} with one port named http. */
    static io.fabric8.kubernetes.api.model.Service service(String name) {
        return new ServiceBuilder().withNewMetadata().withName(name).withNamespace(NS).endMetadata()
                .withNewSpec().addNewPort().withName("http").withPort(80).withTargetPort(new IntOrString(8080)).endPort().endSpec()
                .build();
    }

    /** An EndpointSlice of {@code service} holding one endpoint: a backend on loopback. */
    static EndpointSlice slice(String name, String service, DemoBackend backend, boolean ready, boolean terminating) {
        return new EndpointSliceBuilder().withNewMetadata().withName(name).withNamespace(NS)
                .addToLabels("kubernetes.io/service-name", service).endMetadata()
                .withAddressType("IPv4")
                .addNewPort().withName("http").withPort(backend.port()).withProtocol("TCP").endPort()
                .addNewEndpoint().withAddresses("127.0.0.1")
                .withNewConditions().withReady(ready).withServing(ready || terminating).withTerminating(terminating).endConditions()
                .endEndpoint()
                .build();
    }

    static Condition condition(HasMetadata o, String type) {
        if (!(o instanceof CustomResource<?, ?> cr) || cr.getStatus() == null) {
            return null;
        }
        var status = (dev.gatehouse.api.v1alpha1.GatewayStatus) cr.getStatus();
        return status.conditions == null ? null
                : status.conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
    }

    static GatewayRoute route(KubernetesClient client, String name) {
        return client.resources(GatewayRoute.class).inNamespace(NS).withName(name).get();
    }

    static Consumer consumer(KubernetesClient client, String name) {
        return client.resources(Consumer.class).inNamespace(NS).withName(name).get();
    }

    static <T> T await(Duration within, Supplier<T> value, Predicate<T> done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        T v = value.get();
        while (!done.test(v)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + within.toMillis() + " ms: " + what + "; last: " + v);
            }
            Thread.sleep(10);
            v = value.get();
        }
        return v;
    }
}
