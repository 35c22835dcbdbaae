package dev.gatehouse.e2e;

import dev.gatehouse.app.ControllerCommand;
import dev.gatehouse.app.ProxyCommand;
import dev.gatehouse.controller.files.ManifestReader;
import dev.gatehouse.controller.k8s.IngressConfig;
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
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import static dev.gatehouse.e2e.Cluster.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Core Gateway API conformance cases (kubernetes-sigs/gateway-api {@code conformance/tests}), ported:
 * their manifests, copied unchanged into {@code src/test/resources/conformance} (see NOTICE.md), are
 * applied to the Fabric8 mock API server over the upstream base (namespaces, Gateways, Services);
 * the real controller and a real proxy serve them; every Service has a real backend on loopback
 * that echoes {@code <service>@<namespace> <path> host=<Host>}; the requests and status checks are
 * those of the matching {@code .go} file. Each test deletes what it applied, as the upstream suite
 * does. docs/gateway-api.md has the table of every core test and its outcome.
 *
 * <p>Where Gatehouse answers differently from the spec, the test asserts what Gatehouse does and
 * its name says so ({@code ...503Not500}); those are counted as failures in the table.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewayConformanceE2ETest {
    static final Duration WITHIN = Duration.ofSeconds(30);
    static final String INFRA = "gateway-conformance-infra";
    static final String WEB = "gateway-conformance-web-backend";
    static final String APP = "gateway-conformance-app-backend";
    static final String CONTROLLER = "gatehouse.dev/gateway-controller";

    MockApiServer server;
    KubernetesClient client;
    ControllerCommand.Running controller;
    ProxyCommand.Running proxy;
    Path state;
    final List<AutoCloseable> running = new ArrayList<>();
    final List<HasMetadata> applied = new ArrayList<>();

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
        controller = Cluster.controller(server.newClient(), "conformance", 0, IngressConfig.DEFAULT);
        running.add(controller);
        proxy = Cluster.proxy(controller.channel.port(), "proxy-conformance", state);
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
        EchoBackend b = EchoBackend.start(s.getMetadata().getName() + "@" + ns);
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

    static List<HasMetadata> read(String file) throws Exception {
        String yaml = new String(GatewayConformanceE2ETest.class.getResourceAsStream("/conformance/" + file).readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8).replace("{GATEWAY_CLASS_NAME}", "gatehouse");
        ManifestReader.Result r = ManifestReader.read(file, yaml);
        assertThat(r.errors()).as(file).isEmpty();
        return r.objects();
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

    @Test
    @DisplayName("HTTPRouteSimpleSameNamespace")
    void simpleSameNamespace() throws Exception {
        apply("httproute-simple-same-namespace");
        accepted(INFRA, "gateway-conformance-infra-test", "same-namespace");
        expect(to("/", "infra-backend-v1", INFRA));
    }

    @Test
    @DisplayName("HTTPRouteExactPathMatching")
    void exactPathMatching() throws Exception {
        apply("httproute-exact-path-matching");
        accepted(INFRA, "exact-matching", "same-namespace");
        expect(to("/one", "infra-backend-v1", INFRA), to("/two", "infra-backend-v2", INFRA), status(null, "/", 404),
                status(null, "/one/example", 404), status(null, "/two/", 404), status(null, "/Two", 404));
    }

    @Test
    @DisplayName("HTTPRouteHeaderMatching")
    void headerMatching() throws Exception {
        apply("httproute-header-matching");
        accepted(INFRA, "header-matching", "same-namespace");
        expect(to("/", "infra-backend-v1", INFRA, "Version", "one"), to("/", "infra-backend-v2", INFRA, "Version", "two"),
                to("/", "infra-backend-v1", INFRA, "Version", "two", "Color", "orange"),
                to("/", "infra-backend-v2", INFRA, "Version", "two", "Color", "blue"),
                status(null, "/", 404, "Color", "orange"), status(null, "/", 404, "Some-Other-Header", "one"),
                to("/", "infra-backend-v1", INFRA, "Color", "blue"), to("/", "infra-backend-v1", INFRA, "Color", "green"),
                to("/", "infra-backend-v2", INFRA, "Color", "red"), to("/", "infra-backend-v2", INFRA, "Color", "yellow"),
                status(null, "/", 404, "Color", "purple"));
    }

    @Test
    @DisplayName("HTTPRouteMatching")
    void matching() throws Exception {
        apply("httproute-matching");
        accepted(INFRA, "matching", "same-namespace");
        expect(to("/", "infra-backend-v1", INFRA), to("/example", "infra-backend-v1", INFRA),
                to("/", "infra-backend-v1", INFRA, "Version", "one"), to("/v2", "infra-backend-v2", INFRA),
                to("/v2/example", "infra-backend-v2", INFRA), to("/", "infra-backend-v2", INFRA, "Version", "two"),
                to("/v2/", "infra-backend-v2", INFRA), to("/v2example", "infra-backend-v1", INFRA),
                to("/foo/v2/example", "infra-backend-v1", INFRA));
    }

    @Test
    @DisplayName("HTTPRouteMatchingAcrossRoutes")
    void matchingAcrossRoutes() throws Exception {
        apply("httproute-matching-across-routes");
        accepted(INFRA, "matching-part1", "same-namespace");
        accepted(INFRA, "matching-part2", "same-namespace");
        expect(at("example.com", "/", "infra-backend-v1", INFRA), at("example.com", "/example", "infra-backend-v1", INFRA),
                at("example.net", "/example", "infra-backend-v1", INFRA),
                new Expect("example.com", "/example", new String[]{"Version", "one"}, 200, "infra-backend-v1", INFRA),
                at("example.com", "/v2", "infra-backend-v2", INFRA), at("example.net", "/v2", "infra-backend-v1", INFRA),
                at("example.com", "/v2/example", "infra-backend-v2", INFRA),
                new Expect("example.com", "/", new String[]{"Version", "two"}, 200, "infra-backend-v2", INFRA));
    }

    @Test
    @DisplayName("HTTPRoutePathMatchOrder")
    void pathMatchOrder() throws Exception {
        apply("httproute-path-match-order");
        accepted(INFRA, "path-matching-order", "same-namespace");
        expect(to("/match/exact/one", "infra-backend-v3", INFRA), to("/match/exact", "infra-backend-v2", INFRA),
                to("/match", "infra-backend-v1", INFRA), to("/match/prefix/one/any", "infra-backend-v2", INFRA),
                to("/match/prefix/any", "infra-backend-v1", INFRA), to("/match/any", "infra-backend-v3", INFRA));
    }

    @Test
    @DisplayName("HTTPRouteHostnameIntersection")
    void hostnameIntersection() throws Exception {
        apply("httproute-hostname-intersection");
        for (String r : List.of("specific-host-matches-listener-specific-host", "specific-host-matches-listener-wildcard-host",
                "wildcard-host-matches-listener-specific-host", "wildcard-host-matches-listener-wildcard-host")) {
            accepted(INFRA, r, "httproute-hostname-intersection");
        }
        expect(at("very.specific.com", "/s1", "infra-backend-v1", INFRA), at("very.specific.com:1234", "/s1", "infra-backend-v1", INFRA),
                status("non.matching.com", "/s1", 404), status("foo.nonmatchingwildcard.io", "/s1", 404),
                status("foo.wildcard.io", "/s1", 404), status("very.specific.com", "/non-matching-prefix", 404),
                at("foo.wildcard.io", "/s2", "infra-backend-v2", INFRA), at("bar.wildcard.io", "/s2", "infra-backend-v2", INFRA),
                at("foo.bar.wildcard.io", "/s2", "infra-backend-v2", INFRA), status("non.matching.com", "/s2", 404),
                status("wildcard.io", "/s2", 404), status("very.specific.com", "/s2", 404),
                status("foo.wildcard.io", "/non-matching-prefix", 404),
                at("very.specific.com", "/s3", "infra-backend-v3", INFRA), status("non.matching.com", "/s3", 404),
                status("foo.specific.com", "/s3", 404), status("foo.wildcard.io", "/s3", 404),
                at("foo.anotherwildcard.io", "/s4", "infra-backend-v1", INFRA),
                at("bar.anotherwildcard.io", "/s4", "infra-backend-v1", INFRA),
                at("foo.bar.anotherwildcard.io", "/s4", "infra-backend-v1", INFRA), status("anotherwildcard.io", "/s4", 404),
                status("foo.wildcard.io", "/s4", 404), status("very.specific.com", "/s4", 404),
                status("foo.anotherwildcard.io", "/non-matching-prefix", 404));
        routeCondition(INFRA, "no-intersecting-hosts", "httproute-hostname-intersection", "Accepted",
                "False/NoMatchingListenerHostname");
        expect(status("specific.but.wrong.com", "/s5", 404), status("wildcard.io", "/s5", 404));
        accepted(INFRA, "httproute-hostname-intersection-all", "httproute-hostname-intersection-all");
        expect(at("first.com", "/", "infra-backend-v2", INFRA), at("sub.first.com", "/", "infra-backend-v2", INFRA),
                at("second.com", "/", "infra-backend-v2", INFRA), at("sub.second.com", "/", "infra-backend-v2", INFRA),
                status("third.com", "/", 404), status("sub.third.com", "/", 404));
    }

    @Test
    @DisplayName("HTTPRouteListenerHostnameMatching")
    void listenerHostnameMatching() throws Exception {
        apply("httproute-listener-hostname-matching");
        for (String r : List.of("backend-v1", "backend-v2", "backend-v3")) {
            accepted(INFRA, r, "httproute-listener-hostname-matching");
        }
        expect(at("bar.com", "/", "infra-backend-v1", INFRA), at("foo.bar.com", "/", "infra-backend-v2", INFRA),
                at("baz.bar.com", "/", "infra-backend-v3", INFRA), at("boo.bar.com", "/", "infra-backend-v3", INFRA),
                at("multiple.prefixes.bar.com", "/", "infra-backend-v3", INFRA),
                at("multiple.prefixes.foo.com", "/", "infra-backend-v3", INFRA),
                status("foo.com", "/", 404), status("no.matching.host", "/", 404));
    }

    @Test
    @DisplayName("HTTPRouteCrossNamespace")
    void crossNamespace() throws Exception {
        apply("httproute-cross-namespace");
        accepted(WEB, "cross-namespace", "backend-namespaces");
        expect(to("/", "web-backend", WEB));
    }

    @Test
    @DisplayName("HTTPRouteReferenceGrant")
    void referenceGrant() throws Exception {
        apply("httproute-reference-grant");
        accepted(INFRA, "reference-grant", "same-namespace");
        expect(to("/", "web-backend", WEB));
    }

    @Test
    @DisplayName("HTTPRouteInvalidCrossNamespaceBackendRef: status passes; the request gets 503, the spec says 500")
    void invalidCrossNamespaceBackendRef503Not500() throws Exception {
        apply("httproute-invalid-cross-namespace-backend-ref");
        routeCondition(INFRA, "invalid-cross-namespace-backend-ref", "same-namespace", "Accepted", "True/Accepted");
        routeCondition(INFRA, "invalid-cross-namespace-backend-ref", "same-namespace", "ResolvedRefs", "False/RefNotPermitted");
        expect(status(null, "/", 503));
    }

    @Test
    @DisplayName("HTTPRouteInvalidNonExistentBackendRef: status passes; the request gets 503, the spec says 500")
    void invalidNonExistentBackendRef503Not500() throws Exception {
        apply("httproute-invalid-nonexistent-backendref");
        routeCondition(INFRA, "invalid-nonexistent-backend-ref", "same-namespace", "Accepted", "True/Accepted");
        routeCondition(INFRA, "invalid-nonexistent-backend-ref", "same-namespace", "ResolvedRefs", "False/BackendNotFound");
        expect(status(null, "/", 503));
    }

    @Test
    @DisplayName("HTTPRouteInvalidBackendRefUnknownKind: status passes; the request gets 503, the spec says 500")
    void invalidBackendRefUnknownKind503Not500() throws Exception {
        apply("httproute-invalid-backendref-unknown-kind");
        routeCondition(INFRA, "invalid-backend-ref-unknown-kind", "same-namespace", "Accepted", "True/Accepted");
        routeCondition(INFRA, "invalid-backend-ref-unknown-kind", "same-namespace", "ResolvedRefs", "False/InvalidKind");
        expect(status(null, "/", 503));
    }

    @Test
    @DisplayName("HTTPRouteInvalidReferenceGrant: status passes; the request gets 503, the spec says 500")
    void invalidReferenceGrant503Not500() throws Exception {
        apply("httproute-invalid-reference-grant");
        routeCondition(INFRA, "reference-grant", "same-namespace", "Accepted", "True/Accepted");
        routeCondition(INFRA, "reference-grant", "same-namespace", "ResolvedRefs", "False/RefNotPermitted");
        expect(status(null, "/", 503));
    }

    @Test
    @DisplayName("HTTPRoutePartiallyInvalidViaInvalidReferenceGrant: status and the valid sibling pass; /v2 gets 503, the spec says 500")
    void partiallyInvalidViaInvalidReferenceGrant503Not500() throws Exception {
        apply("httproute-partially-invalid-via-invalid-reference-grant");
        routeCondition(INFRA, "invalid-reference-grant", "same-namespace", "Accepted", "True/Accepted");
        routeCondition(INFRA, "invalid-reference-grant", "same-namespace", "ResolvedRefs", "False/RefNotPermitted");
        expect(status(null, "/v2", 503), to("/", "app-backend-v1", APP));
    }

    @Test
    @DisplayName("HTTPRouteOmittedBackendRefs: status and forwarding pass; the rules without backends get 503, the spec says 500")
    void omittedBackendRefs503Not500() throws Exception {
        apply("httproute-omitted-backendrefs");
        accepted(INFRA, "omitted-backendrefs", "same-namespace");
        expect(to("/forward", "infra-backend-v1", INFRA), status(null, "/omitted-no-forward", 503),
                status(null, "/empty-no-forward", 503));
    }

    @Test
    @DisplayName("HTTPRouteInvalidParentRefNotMatchingSectionName")
    void invalidParentRefNotMatchingSectionName() throws Exception {
        apply("httproute-invalid-parentref-not-matching-section-name");
        routeCondition(INFRA, "httproute-listener-not-matching-section-name", "same-namespace", "Accepted", "False/NoMatchingParent");
        assertThat(listener("same-namespace", "http").getAttachedRoutes()).isZero();
    }

    @Test
    @DisplayName("HTTPRouteInvalidCrossNamespaceParentRef")
    void invalidCrossNamespaceParentRef() throws Exception {
        apply("httproute-invalid-cross-namespace-parent-ref");
        routeCondition(WEB, "invalid-cross-namespace-parent-ref", "same-namespace", "ResolvedRefs", "True/ResolvedRefs");
        routeCondition(WEB, "invalid-cross-namespace-parent-ref", "same-namespace", "Accepted", "False/NotAllowedByListeners");
        assertThat(listener("same-namespace", "http").getAttachedRoutes()).isZero();
    }

    @Test
    @DisplayName("HTTPRouteWeight (exact 70/30/0 of 100 requests: stricter than upstream's tolerance)")
    void weight() throws Exception {
        apply("httproute-weight");
        accepted(INFRA, "weighted-backends", "same-namespace");
        expect(status(null, "/", 200));
        Map<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i < 100; i++) {
            RawGet.Answer a = RawGet.get(proxy.proxy.port(), "127.0.0.1", "/");
            counts.merge(a.body().substring(0, a.body().indexOf('@')), 1, Integer::sum);
        }
        assertThat(counts).isEqualTo(Map.of("infra-backend-v1", 70, "infra-backend-v2", 30));
    }

    @Test
    @DisplayName("GatewayInvalidRouteKind")
    void gatewayInvalidRouteKind() throws Exception {
        apply("gateway-invalid-route-kind");
        ListenerStatus only = listener("gateway-only-invalid-route-kind", "http");
        assertThat(only.getSupportedKinds()).isEmpty();
        assertThat(condition(only.getConditions(), "ResolvedRefs")).isEqualTo("False/InvalidRouteKinds");
        assertThat(only.getAttachedRoutes()).isZero();
        ListenerStatus both = listener("gateway-supported-and-invalid-route-kind", "http");
        assertThat(both.getSupportedKinds()).extracting(k -> k.getKind()).containsExactly("HTTPRoute");
        assertThat(condition(both.getConditions(), "ResolvedRefs")).isEqualTo("False/InvalidRouteKinds");
        assertThat(both.getAttachedRoutes()).isZero();
    }

    @Test
    @DisplayName("GatewayInvalidListenersUnsupportedProtocol")
    void gatewayInvalidListenersUnsupportedProtocol() throws Exception {
        apply("gateway-invalid-listeners-unsupported-protocol");
        ListenerStatus invalid = listener("gateway-only-unsupported-protocols", "invalid");
        assertThat(invalid.getSupportedKinds()).isEmpty();
        assertThat(condition(invalid.getConditions(), "Accepted")).isEqualTo("False/UnsupportedProtocol");
        assertThat(condition(gateway("gateway-only-unsupported-protocols").getStatus().getConditions(), "Accepted"))
                .isEqualTo("False/ListenersNotValid");
        ListenerStatus http = listener("gateway-supported-and-unsupported-protocols", "http");
        assertThat(condition(http.getConditions(), "Accepted")).isEqualTo("True/Accepted");
        assertThat(http.getSupportedKinds()).extracting(k -> k.getKind()).containsExactly("HTTPRoute");
        assertThat(condition(listener("gateway-supported-and-unsupported-protocols", "invalid").getConditions(), "Accepted"))
                .isEqualTo("False/UnsupportedProtocol");
        assertThat(condition(gateway("gateway-supported-and-unsupported-protocols").getStatus().getConditions(), "Accepted"))
                .isEqualTo("True/ListenersNotValid");
    }

    @Test
    @DisplayName("HTTPRouteMultipleGateways: fails by design, one proxy fleet and one address serve every Gateway")
    void multipleGatewaysShareOneAddress() throws Exception {
        apply("httproute-multiple-gateways");
        accepted(INFRA, "multiple-gateways-shared-route", "same-namespace");
        accepted(INFRA, "multiple-gateways-shared-route", "all-namespaces");
        accepted(INFRA, "same-namespace-dedicated-route", "same-namespace");
        accepted(INFRA, "all-namespaces-dedicated-route", "all-namespaces");
        expect(to("/shared", "infra-backend-v1", INFRA));
        // upstream: "/" is v2 through same-namespace's address and v3 through all-namespaces'; here both
        // Gateways are the one fleet, so the older route wins for both (spec order among equal matches)
        RawGet.Answer root = RawGet.get(proxy.proxy.port(), "127.0.0.1", "/");
        assertThat(root.body()).matches("infra-backend-v[23]@.*");
    }
}
