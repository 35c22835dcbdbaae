package dev.gatehouse.e2e;

import dev.gatehouse.app.ControllerCommand;
import dev.gatehouse.app.ProxyCommand;
import dev.gatehouse.controller.files.ManifestReader;
import dev.gatehouse.controller.k8s.IngressConfig;
import dev.gatehouse.controller.channel.ChannelServer;
import dev.gatehouse.controller.k8s.MockApiServer;
import dev.gatehouse.controller.translate.TestCertificates;
import dev.gatehouse.proxy.ClientLimits;
import dev.gatehouse.proxy.Http2Config;
import dev.gatehouse.proxy.ProxyConfig;
import dev.gatehouse.proxy.channel.ChannelClientConfig;
import dev.gatehouse.proxy.http.TrustedProxies;
import dev.gatehouse.proxy.tls.TlsConfig;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClassBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ListenerStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.RouteParentStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

import static dev.gatehouse.e2e.Cluster.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The harness of {@link GatewayConformanceE2ETest}, as the upstream suite's is: the Fabric8 mock API
 * server with the upstream base manifests and a GatewayClass {@code gatehouse}; a real backend per
 * Service that echoes {@code <service>@<namespace> <path> host=<Host>}; the certificates the
 * upstream suite makes at setup ({@code tls-validity-checks-certificate} in the infra namespace for
 * {@code *}, {@code *.org}, {@code *.wildcard.org}; {@code certificate} in the web backend namespace
 * for {@code *}), made here at start by a test CA the TLS requests trust; the real controller and a
 * proxy with a TLS port; each test's manifests applied and deleted again; the upstream helpers
 * (MakeRequestAndExpectEventuallyConsistentResponse, HTTPRouteMustHaveCondition, ...) as methods.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ConformanceHarness {
    static final Duration WITHIN = Duration.ofSeconds(30);
    static final String INFRA = "gateway-conformance-infra";
    static final String WEB = "gateway-conformance-web-backend";
    static final String APP = "gateway-conformance-app-backend";
    static final String CONTROLLER = "gatehouse.dev/gateway-controller";
    static final String CERTIFICATE = "tls-validity-checks-certificate";

    MockApiServer server;
    KubernetesClient client;
    ControllerCommand.Running controller;
    ProxyCommand.Running proxy;
    Path state;
    final List<AutoCloseable> running = new ArrayList<>();
    final List<HasMetadata> applied = new ArrayList<>();
    /** The CA of the setup's certificates. */
    TestCertificates.Ca ca;
    TlsGet tls;

    @BeforeAll
    void start() throws Exception {
        state = Files.createTempDirectory("gatehouse-conformance");
        server = new MockApiServer();
        client = server.newClient();
        client.resource(new GatewayClassBuilder().withNewMetadata().withName("gatehouse").endMetadata()
                .withNewSpec().withControllerName(CONTROLLER).endSpec().build()).create();
        for (HasMetadata o : read("base.yaml")) {
            client.resource(o).create();
            if (o instanceof Service s) {
                backend(s);
            }
        }
        ca = TestCertificates.ca("Gatehouse conformance CA");
        tls = new TlsGet(ca.certPem());
        client.resource(tlsSecret(INFRA, CERTIFICATE, List.of("*", "*.org", "*.wildcard.org"))).create();
        client.resource(tlsSecret(WEB, "certificate", List.of("*"))).create();
        controller = Cluster.controller(server.newClient(), "conformance", 0, IngressConfig.DEFAULT);
        running.add(controller);
        proxy = ProxyCommand.Running.start(new ProxyConfig("127.0.0.1", 0, 2, Duration.ZERO, Duration.ofSeconds(5),
                ClientLimits.DEFAULTS, TrustedProxies.NONE, TlsConfig.on(0), Http2Config.DEFAULTS), 0,
                new ChannelClientConfig(java.net.URI.create("ws://127.0.0.1:" + controller.channel.port() + ChannelServer.PATH),
                        Cluster.TOKEN, "proxy-conformance", state, false, null));
        running.add(proxy);
        await(WITHIN, () -> proxy.proxy.listening(), Boolean::booleanValue, "the proxy listening");
    }

    @AfterAll
    void stop() throws Exception {
        Collections.reverse(running);
        for (AutoCloseable c : running) {
            c.close();
        }
        server.close();
        try (var files = Files.walk(state)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Deletes what the test applied and waits until no snapshot route comes from it any more. */
    @AfterEach
    void cleanUp() throws InterruptedException {
        List<String> gone = applied.stream().map(o -> o.getKind() + "/" + o.getMetadata().getNamespace() + "/"
                + o.getMetadata().getName()).toList();
        for (HasMetadata o : applied) {
            client.resource(o).delete();
        }
        applied.clear();
        await(WITHIN, () -> controller.controller.published().routes().stream()
                        .filter(r -> r.source() != null && gone.contains(r.source().display())).count(),
                n -> n == 0, "the routes of " + gone + " gone");
    }

    /** A backend for every Service of the base: one loopback pod behind all of its ports. */
    void backend(Service s) throws Exception {
        String ns = s.getMetadata().getNamespace();
        EchoBackend b = EchoBackend.startEchoingHeaders(s.getMetadata().getName() + "@" + ns);
        running.add(b);
        EndpointSliceBuilder slice = new EndpointSliceBuilder().withNewMetadata().withName(s.getMetadata().getName() + "-1")
                .withNamespace(ns).addToLabels("kubernetes.io/service-name", s.getMetadata().getName()).endMetadata()
                .withAddressType("IPv4");
        for (ServicePort p : s.getSpec().getPorts()) {
            slice.addNewPort().withName(Objects.requireNonNullElse(p.getName(), "")).withPort(b.port()).withProtocol("TCP").endPort();
        }
        client.resource(slice.addNewEndpoint().withAddresses("127.0.0.1").withNewConditions().withReady(true).endConditions()
                .endEndpoint().build()).create();
    }

    /**
     * A kubernetes.io/tls Secret for {@code names}, signed by {@link #ca}, valid from a minute ago for
     * 90 days; in {@code data} (the mock server never folds {@code stringData}).
     */
    Secret tlsSecret(String namespace, String name, List<String> names) throws Exception {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        TestCertificates.Leaf leaf = TestCertificates.leaf(ca, names, now.minusSeconds(60), now.plus(Duration.ofDays(90)),
                TestCertificates.KeyType.EC, TestCertificates.KeyFormat.TRADITIONAL);
        Base64.Encoder b64 = Base64.getEncoder();
        return new SecretBuilder().withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withType("kubernetes.io/tls")
                .addToData("tls.crt", b64.encodeToString(leaf.chainPem().getBytes(StandardCharsets.US_ASCII)))
                .addToData("tls.key", b64.encodeToString(leaf.keyPem().getBytes(StandardCharsets.US_ASCII)))
                .build();
    }

    static List<HasMetadata> read(String file) throws Exception {
        String yaml = new String(ConformanceHarness.class.getResourceAsStream("/conformance/" + file).readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8).replace("{GATEWAY_CLASS_NAME}", "gatehouse")
                .replace("{GATEWAY_CONTROLLER_NAME}", CONTROLLER);
        ManifestReader.Result r = ManifestReader.read(file, yaml);
        assertThat(r.errors()).as(file).isEmpty();
        return r.objects();
    }

    /**
     * kubectl edit: the status writer may update the object between the read and the write (409
     * Conflict); read again and retry, as kubectl does. {@code namespace} null for a cluster-scoped kind.
     */
    <T extends HasMetadata> void edit(Class<T> type, String namespace, String name, java.util.function.UnaryOperator<T> change) {
        for (int attempt = 1; ; attempt++) {
            try {
                (namespace == null ? client.resources(type).withName(name)
                        : client.resources(type).inNamespace(namespace).withName(name)).edit(change);
                return;
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 5) {
                    throw e;
                }
            }
        }
    }

    void apply(String test) throws Exception {
        for (HasMetadata o : read(test + ".yaml")) {
            client.resource(o).create();
            applied.add(o);
        }
    }

    /** One upstream ExpectedResponse: a request and the status, backend and namespace it must reach. */
    record Expect(String host, String path, String[] headers, int status, String backend, String namespace) {
        boolean matches(RawGet.Answer a) {
            return a.status() == status && (backend == null || a.body().startsWith(backend + "@" + namespace + " " + path));
        }
    }

    static Expect to(String path, String backend, String namespace, String... headers) {
        return new Expect(null, path, headers, 200, backend, namespace);
    }

    static Expect at(String host, String path, String backend, String namespace) {
        return new Expect(host, path, new String[0], 200, backend, namespace);
    }

    static Expect status(String host, String path, int status, String... headers) {
        return new Expect(host, path, headers, status, null, null);
    }

    /** MakeRequestAndExpectEventuallyConsistentResponse: polled until it answers so, bounded. */
    void expect(Expect... all) throws InterruptedException {
        for (Expect e : all) {
            String host = e.host() == null ? "127.0.0.1:" + proxy.proxy.port() : e.host();
            await(WITHIN, () -> RawGet.get(proxy.proxy.port(), host, e.path(), e.headers()), e::matches,
                    host + e.path() + " " + List.of(e.headers()) + " answers " + e.status() + " from " + e.backend());
        }
    }

    /**
     * MakeTLSRequestAndExpectEventuallyConsistentResponse: over the proxy's TLS port with SNI and Host
     * {@code e.host()}, the certificate checked against {@link #ca} and the host; polled until it
     * answers so, bounded. A failed handshake counts as a wrong answer (status -1), so it is retried.
     */
    void expectTls(Expect... all) throws InterruptedException {
        for (Expect e : all) {
            await(WITHIN, () -> {
                if (!proxy.proxy.tlsListening()) {
                    return new RawGet.Answer(-1, "", "the TLS port is not open");
                }
                try {
                    return tls.get(proxy.proxy.tlsPort(), e.host(), e.path());
                } catch (java.io.UncheckedIOException failed) {
                    return new RawGet.Answer(-1, "", String.valueOf(failed.getCause()));
                }
            }, e::matches, "https://" + e.host() + e.path() + " answers " + e.status() + " from " + e.backend());
        }
    }

    RouteParentStatus parent(String ns, String route, String gateway) {
        HTTPRoute r = client.resources(HTTPRoute.class).inNamespace(ns).withName(route).get();
        return r == null || r.getStatus() == null || r.getStatus().getParents() == null ? null : r.getStatus().getParents().stream()
                .filter(p -> CONTROLLER.equals(p.getControllerName()) && gateway.equals(p.getParentRef().getName()))
                .findFirst().orElse(null);
    }

    static String condition(List<Condition> conditions, String type) {
        Condition c = conditions == null ? null : conditions.stream().filter(x -> type.equals(x.getType())).findFirst().orElse(null);
        return c == null ? null : c.getStatus() + "/" + c.getReason();
    }

    /** HTTPRouteMustHaveCondition: the route's entry for {@code gateway} has {@code type} = {@code expected}. */
    void routeCondition(String ns, String route, String gateway, String type, String expected) throws InterruptedException {
        await(WITHIN, () -> {
            RouteParentStatus p = parent(ns, route, gateway);
            return p == null ? null : condition(p.getConditions(), type);
        }, expected::equals, ns + "/" + route + " " + type + " " + expected);
    }

    /** GatewayAndHTTPRoutesMustBeAccepted + HTTPRouteMustHaveResolvedRefsConditionsTrue. */
    void accepted(String ns, String route, String gateway) throws InterruptedException {
        routeCondition(ns, route, gateway, "Accepted", "True/Accepted");
        routeCondition(ns, route, gateway, "ResolvedRefs", "True/ResolvedRefs");
    }

    Gateway gateway(String name) {
        return client.resources(Gateway.class).inNamespace(INFRA).withName(name).get();
    }

    ListenerStatus listener(String gateway, String name) throws InterruptedException {
        return await(WITHIN, () -> {
            Gateway g = gateway(gateway);
            return g == null || g.getStatus() == null || g.getStatus().getListeners() == null ? null : g.getStatus().getListeners()
                    .stream().filter(l -> name.equals(l.getName())).findFirst().orElse(null);
        }, Objects::nonNull, gateway + " listener " + name);
    }
}
