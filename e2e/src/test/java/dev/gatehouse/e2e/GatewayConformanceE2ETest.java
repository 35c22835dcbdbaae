package dev.gatehouse.e2e;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ListenerStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.RouteParentStatus;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

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
 * its name says so; those are counted as failures in the table. The filter and match cases are in
 * {@link GatewayFilterConformanceE2ETest}.
 */
class GatewayConformanceE2ETest extends ConformanceHarness {
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
    @DisplayName("HTTPRouteInvalidCrossNamespaceBackendRef")
    void invalidCrossNamespaceBackendRef() throws Exception {
        apply("httproute-invalid-cross-namespace-backend-ref");
        routeCondition(INFRA, "invalid-cross-namespace-backend-ref", "same-namespace", "Accepted", "True/Accepted");
        routeCondition(INFRA, "invalid-cross-namespace-backend-ref", "same-namespace", "ResolvedRefs", "False/RefNotPermitted");
        expect(status(null, "/", 500));
    }

    @Test
    @DisplayName("HTTPRouteInvalidNonExistentBackendRef")
    void invalidNonExistentBackendRef() throws Exception {
        apply("httproute-invalid-nonexistent-backendref");
        routeCondition(INFRA, "invalid-nonexistent-backend-ref", "same-namespace", "Accepted", "True/Accepted");
        routeCondition(INFRA, "invalid-nonexistent-backend-ref", "same-namespace", "ResolvedRefs", "False/BackendNotFound");
        expect(status(null, "/", 500));
    }

    @Test
    @DisplayName("HTTPRouteInvalidBackendRefUnknownKind")
    void invalidBackendRefUnknownKind() throws Exception {
        apply("httproute-invalid-backendref-unknown-kind");
        routeCondition(INFRA, "invalid-backend-ref-unknown-kind", "same-namespace", "Accepted", "True/Accepted");
        routeCondition(INFRA, "invalid-backend-ref-unknown-kind", "same-namespace", "ResolvedRefs", "False/InvalidKind");
        expect(status(null, "/", 500));
    }

    @Test
    @DisplayName("HTTPRouteInvalidReferenceGrant")
    void invalidReferenceGrant() throws Exception {
        apply("httproute-invalid-reference-grant");
        routeCondition(INFRA, "reference-grant", "same-namespace", "Accepted", "True/Accepted");
        routeCondition(INFRA, "reference-grant", "same-namespace", "ResolvedRefs", "False/RefNotPermitted");
        expect(status(null, "/", 500));
    }

    @Test
    @DisplayName("HTTPRoutePartiallyInvalidViaInvalidReferenceGrant")
    void partiallyInvalidViaInvalidReferenceGrant() throws Exception {
        apply("httproute-partially-invalid-via-invalid-reference-grant");
        routeCondition(INFRA, "invalid-reference-grant", "same-namespace", "Accepted", "True/Accepted");
        routeCondition(INFRA, "invalid-reference-grant", "same-namespace", "ResolvedRefs", "False/RefNotPermitted");
        expect(status(null, "/v2", 500), to("/", "app-backend-v1", APP));
    }

    @Test
    @DisplayName("HTTPRouteOmittedBackendRefs")
    void omittedBackendRefs() throws Exception {
        apply("httproute-omitted-backendrefs");
        accepted(INFRA, "omitted-backendrefs", "same-namespace");
        expect(to("/forward", "infra-backend-v1", INFRA), status(null, "/omitted-no-forward", 500),
                status(null, "/empty-no-forward", 500));
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
        assertThat(root.body()).matches("(?s)infra-backend-v[23]@.*");
    }

    @Test
    @DisplayName("HTTPRouteObservedGenerationBump")
    void routeObservedGenerationBump() throws Exception {
        apply("httproute-observed-generation-bump");
        HTTPRoute original = latestConditions(INFRA, "observed-generation-bump", "same-namespace");
        expect(to("/", "infra-backend-v1", INFRA));
        edit(HTTPRoute.class, INFRA, "observed-generation-bump", r -> {
            r.getSpec().getRules().get(0).getBackendRefs().get(0).setName("infra-backend-v2");
            return r;
        });
        expect(to("/", "infra-backend-v2", INFRA));
        routeCondition(INFRA, "observed-generation-bump", "same-namespace", "Accepted", "True/Accepted");
        routeCondition(INFRA, "observed-generation-bump", "same-namespace", "ResolvedRefs", "True/ResolvedRefs");
        HTTPRoute updated = latestConditions(INFRA, "observed-generation-bump", "same-namespace");
        assertThat(updated.getMetadata().getGeneration()).as("generation changes with the spec")
                .isNotEqualTo(original.getMetadata().getGeneration());
    }

    /** HTTPRouteMustHaveLatestConditions: every condition of our entry observed the route's current generation. */
    HTTPRoute latestConditions(String ns, String route, String gateway) throws InterruptedException {
        return Cluster.await(WITHIN, () -> client.resources(HTTPRoute.class).inNamespace(ns).withName(route).get(), r -> {
            RouteParentStatus p = parent(ns, route, gateway);
            return p != null && !p.getConditions().isEmpty() && p.getConditions().stream()
                    .allMatch(c -> java.util.Objects.equals(c.getObservedGeneration(), r.getMetadata().getGeneration()));
        }, route + " conditions at the latest generation");
    }

    @Test
    @DisplayName("GatewayObservedGenerationBump")
    void gatewayObservedGenerationBump() throws Exception {
        apply("gateway-observed-generation-bump");
        Gateway original = latestGateway("gateway-observed-generation-bump");
        edit(Gateway.class, INFRA, "gateway-observed-generation-bump", g -> {
            g.getSpec().getListeners().add(new io.fabric8.kubernetes.api.model.gatewayapi.v1.ListenerBuilder()
                    .withName("alternate").withHostname("foo.com").withPort(80).withProtocol("HTTP")
                    .withNewAllowedRoutes().withNewNamespaces().withFrom("All").endNamespaces().endAllowedRoutes().build());
            return g;
        });
        Gateway updated = Cluster.await(WITHIN, () -> latestGatewayNow("gateway-observed-generation-bump"),
                g -> g != null && g.getStatus().getListeners().size() == 2, "both listeners at the latest generation");
        assertThat(updated.getMetadata().getGeneration()).isNotEqualTo(original.getMetadata().getGeneration());
    }

    @Test
    @DisplayName("GatewayNameMaximumLength")
    void gatewayNameMaximumLength() throws Exception {
        apply("gateway-name-maximum-length");
        String name = "gateway-name-maximum-length-" + "a".repeat(253 - "gateway-name-maximum-length-".length());
        Gateway g = latestGateway(name);
        assertThat(g.getMetadata().getName()).hasSize(253);
        assertThat(condition(g.getStatus().getConditions(), "Accepted")).isEqualTo("True/Accepted");
    }

    /**
     * The upstream test patches the manual EndpointSlices with the addresses of infra-backend-v1's
     * pods; the headless Service's slice is the EndpointSlice controller's work, which the mock API
     * server does not do, so the harness writes it as it does for the base Services. The pod here
     * is infra-backend-v1's loopback backend, so the slices' port is that backend's port where the
     * upstream pods listen on 3000 (the Services' targetPort); the IPv6 slices stay empty, as
     * upstream on an IPv4-only cluster.
     */
    @Test
    @DisplayName("HTTPRouteServiceTypes")
    void serviceTypes() throws Exception {
        apply("httproute-service-types");
        var slices = client.resources(EndpointSlice.class).inNamespace(INFRA);
        EndpointSlice pod = slices.withName("infra-backend-v1-1").get();
        int port = pod.getPorts().get(0).getPort();
        for (String name : List.of("manual-endpointslices-ip4", "headless-manual-endpointslices-ip4")) {
            slices.withName(name).edit(s -> {
                s.setEndpoints(pod.getEndpoints());
                s.getPorts().get(0).setPort(port);
                return s;
            });
        }
        EndpointSlice headless = new EndpointSliceBuilder().withNewMetadata().withName("headless-1").withNamespace(INFRA)
                .addToLabels("kubernetes.io/service-name", "headless").endMetadata().withAddressType("IPv4")
                .addNewPort().withName("first-port").withPort(port).withProtocol("TCP").endPort()
                .withEndpoints(pod.getEndpoints()).build();
        applied.add(client.resource(headless).create());
        accepted(INFRA, "service-types", "same-namespace");
        expect(to("/manual-endpointslices", "infra-backend-v1", INFRA), to("/headless", "infra-backend-v1", INFRA),
                to("/headless-manual-endpointslices", "infra-backend-v1", INFRA), status(null, "/headless/", 404));
    }

    @Test
    @DisplayName("GatewayClassObservedGenerationBump")
    void gatewayClassObservedGenerationBump() throws Exception {
        apply("gatewayclass-observed-generation-bump");
        var classes = client.resources(io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass.class);
        java.util.function.Supplier<io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass> latest = () -> {
            var c = classes.withName("gatewayclass-observed-generation-bump").get();
            return c != null && c.getStatus() != null && c.getStatus().getConditions() != null
                    && "True/Accepted".equals(condition(c.getStatus().getConditions(), "Accepted"))
                    && c.getStatus().getConditions().stream().allMatch(x -> Objects.equals(x.getObservedGeneration(),
                    c.getMetadata().getGeneration())) ? c : null;
        };
        var original = Cluster.await(WITHIN, latest, Objects::nonNull, "the class accepted at its generation");
        edit(io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass.class, null, "gatewayclass-observed-generation-bump", c -> {
            c.getSpec().setDescription("new");
            return c;
        });
        var updated = Cluster.await(WITHIN, latest, c -> c != null && !Objects.equals(c.getMetadata().getGeneration(),
                original.getMetadata().getGeneration()), "the class accepted at its new generation");
        assertThat(updated.getSpec().getDescription()).isEqualTo("new");
    }

    /** GatewayMustHaveLatestConditions: the Gateway's and its listeners' conditions observed its generation; null if not yet. */
    Gateway latestGatewayNow(String name) {
        Gateway g = gateway(name);
        if (g == null || g.getStatus() == null || g.getStatus().getConditions() == null || g.getStatus().getListeners() == null) {
            return null;
        }
        Long gen = g.getMetadata().getGeneration();
        boolean latest = g.getStatus().getConditions().stream().allMatch(c -> Objects.equals(c.getObservedGeneration(), gen))
                && g.getStatus().getListeners().stream().flatMap(l -> l.getConditions().stream())
                .allMatch(c -> Objects.equals(c.getObservedGeneration(), gen));
        return latest ? g : null;
    }

    Gateway latestGateway(String name) throws InterruptedException {
        return Cluster.await(WITHIN, () -> latestGatewayNow(name), Objects::nonNull, name + " conditions at the latest generation");
    }
}
