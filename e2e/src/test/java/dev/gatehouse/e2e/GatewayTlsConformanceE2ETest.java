package dev.gatehouse.e2e;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ListenerBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ListenerStatus;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Objects;
import java.util.function.Predicate;

import static dev.gatehouse.e2e.Cluster.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Gateway API conformance cases of HTTPS listeners and their certificates (kubernetes-sigs/gateway-api
 * {@code conformance/tests}), ported as {@link GatewayConformanceE2ETest} ports the others: their
 * manifests unchanged, the certificates the upstream suite makes at setup made by the harness at
 * start, requests over the proxy's TLS port with SNI and a client that checks the certificate
 * served against the test CA and the host. docs/gateway-api.md has the table.
 */
class GatewayTlsConformanceE2ETest extends ConformanceHarness {
    static final String HTTPS_GATEWAY = "same-namespace-with-https-listener";

    @Test
    @DisplayName("HTTPRouteHTTPSListener")
    void httpsListener() throws Exception {
        apply("httproute-https-listener");
        accepted(INFRA, "httproute-https-test", HTTPS_GATEWAY);
        accepted(INFRA, "httproute-https-test-no-hostname", HTTPS_GATEWAY);
        expectTls(at("example.org", "/", "infra-backend-v1", INFRA), status("unknown-example.org", "/", 404),
                at("second-example.org", "/", "infra-backend-v2", INFRA));
        assertThat(listenerWhen(HTTPS_GATEWAY, "https", l -> l.getAttachedRoutes() == 1).getConditions())
                .extracting(c -> c.getType() + "=" + c.getStatus()).contains("Programmed=True", "ResolvedRefs=True");
        // Gatehouse's: a route attached to HTTPS listeners only answers cleartext with a redirect to https://
        RawGet.Answer plain = RawGet.get(proxy.proxy.port(), "example.org", "/");
        assertThat(plain.status()).isEqualTo(308);
        assertThat(plain.headers().toLowerCase(java.util.Locale.ROOT)).contains("location: https://example.org");
    }

    @Test
    @DisplayName("GatewaySecretInvalidReferenceGrant")
    void secretInvalidReferenceGrant() throws Exception {
        apply("gateway-secret-invalid-reference-grant");
        refused("gateway-secret-invalid-reference-grant", "False/RefNotPermitted");
    }

    @Test
    @DisplayName("GatewaySecretMissingReferenceGrant")
    void secretMissingReferenceGrant() throws Exception {
        apply("gateway-secret-missing-reference-grant");
        refused("gateway-secret-missing-reference-grant", "False/RefNotPermitted");
    }

    @Test
    @DisplayName("GatewaySecretReferenceGrantAllInNamespace")
    void secretReferenceGrantAllInNamespace() throws Exception {
        apply("gateway-secret-reference-grant-all-in-namespace");
        programmed("gateway-secret-reference-grant-all-in-namespace");
    }

    @Test
    @DisplayName("GatewaySecretReferenceGrantSpecific")
    void secretReferenceGrantSpecific() throws Exception {
        apply("gateway-secret-reference-grant-specific");
        programmed("gateway-secret-reference-grant-specific");
    }

    @Test
    @DisplayName("GatewayInvalidTLSConfiguration")
    void invalidTlsConfiguration() throws Exception {
        apply("gateway-invalid-tls-configuration");
        for (String g : List.of("gateway-certificate-nonexistent-secret", "gateway-certificate-unsupported-group",
                "gateway-certificate-unsupported-kind", "gateway-certificate-malformed-secret")) {
            refused(g, "False/InvalidCertificateRef");
        }
    }

    @Test
    @DisplayName("GatewayModifyListeners")
    void modifyListeners() throws Exception {
        apply("gateway-modify-listeners");
        Gateway original = atLatestGeneration("gateway-add-listener", g -> true);
        edit(Gateway.class, INFRA, "gateway-add-listener", g -> {
            g.getSpec().getListeners().add(new ListenerBuilder().withName("http").withPort(80).withProtocol("HTTP")
                    .withHostname("data.test.com").withNewAllowedRoutes().withNewNamespaces().withFrom("All").endNamespaces()
                    .endAllowedRoutes().build());
            return g;
        });
        Gateway added = atLatestGeneration("gateway-add-listener", g -> g.getStatus().getListeners().size() == 2
                && g.getStatus().getListeners().stream().allMatch(GatewayTlsConformanceE2ETest::acceptedResolvedAttachedOne));
        assertThat(added.getStatus().getListeners()).extracting(ListenerStatus::getName).containsExactly("https", "http");
        assertThat(added.getMetadata().getGeneration()).isNotEqualTo(original.getMetadata().getGeneration());

        Gateway before = atLatestGeneration("gateway-remove-listener", g -> g.getStatus().getListeners().size() == 2);
        edit(Gateway.class, INFRA, "gateway-remove-listener", g -> {
            g.getSpec().getListeners().removeIf(l -> !"http".equals(l.getName()));
            return g;
        });
        Gateway removed = atLatestGeneration("gateway-remove-listener", g -> g.getStatus().getListeners().size() == 1
                && acceptedResolvedAttachedOne(g.getStatus().getListeners().get(0)));
        assertThat(removed.getStatus().getListeners().get(0).getName()).isEqualTo("http");
        assertThat(removed.getMetadata().getGeneration()).isNotEqualTo(before.getMetadata().getGeneration());
    }

    @Test
    @DisplayName("GatewayWithAttachedRoutes")
    void withAttachedRoutes() throws Exception {
        apply("gateway-with-attached-routes");
        // one valid route attached
        ListenerStatus one = listenerWhen("gateway-with-one-attached-route", "http", l -> l.getAttachedRoutes() == 1);
        assertThat(conditions(one)).contains("Accepted=True", "ResolvedRefs=True");
        assertThat(one.getSupportedKinds()).extracting(k -> k.getGroup() + "/" + k.getKind())
                .containsExactly("gateway.networking.k8s.io/HTTPRoute");
        // two valid routes attached; the third shares no hostname with the listener
        ListenerStatus two = listenerWhen("gateway-with-two-attached-routes", "http", l -> l.getAttachedRoutes() == 2);
        assertThat(conditions(two)).contains("Accepted=True", "ResolvedRefs=True");
        routeCondition(INFRA, "http-route-not-accepted", "gateway-with-two-attached-routes", "Accepted",
                "False/NoMatchingListenerHostname");
        // AttachedRoutes counted even when the listener's certificate does not resolve (nothing is served there)
        ListenerStatus unresolved = listenerWhen("unresolved-gateway-with-one-attached-unresolved-route", "tls",
                l -> l.getAttachedRoutes() == 1);
        assertThat(conditions(unresolved)).contains("Programmed=False", "ResolvedRefs=False");
        assertThat(unresolved.getSupportedKinds()).extracting(k -> k.getGroup() + "/" + k.getKind())
                .containsExactly("gateway.networking.k8s.io/HTTPRoute");
        await(WITHIN, () -> {
            var p = parent(INFRA, "http-route-4", "unresolved-gateway-with-one-attached-unresolved-route");
            return p == null ? null : condition(p.getConditions(), "ResolvedRefs");
        }, c -> c != null && c.startsWith("False/"), "http-route-4 ResolvedRefs False");
    }

    private static List<String> conditions(ListenerStatus l) {
        return l.getConditions().stream().map(c -> c.getType() + "=" + c.getStatus()).toList();
    }

    @Test
    @DisplayName("GatewayInvalidParametersRef")
    void invalidParametersRef() throws Exception {
        apply("gateway-invalid-parameters-ref");
        Gateway g = atLatestGeneration("gateway-invalid-parameters-ref", x -> true);
        assertThat(condition(g.getStatus().getConditions(), "Accepted")).isEqualTo("False/InvalidParameters");
    }

    /**
     * Gatehouse's, not upstream: a Gateway whose Secret comes later (cert-manager's order) is programmed
     * when it comes, since the TLS Secret informer rebuilds for Secrets a Gateway names; a broken update
     * of the Secret takes the listener and its certificate out again.
     */
    @Test
    @DisplayName("A Secret created after its Gateway programs the listener; a broken one unprograms it")
    void secretAfterGateway() throws Exception {
        create(new GatewayBuilder().withNewMetadata().withName("late-secret").withNamespace(INFRA).endMetadata()
                .withNewSpec().withGatewayClassName("gatehouse").addNewListener().withName("https").withProtocol("HTTPS")
                .withPort(443).withHostname("late.example.net").withNewTls().addNewCertificateRef().withName("late-tls")
                .endCertificateRef().endTls().endListener().endSpec().build());
        create(new HTTPRouteBuilder().withNewMetadata().withName("late").withNamespace(INFRA).endMetadata().withNewSpec()
                .addNewParentRef().withName("late-secret").endParentRef().addNewRule().addNewBackendRef().withName("infra-backend-v3")
                .withPort(8080).endBackendRef().endRule().endSpec().build());
        assertThat(listenerWhen("late-secret", "https", l -> condition(l.getConditions(), "ResolvedRefs") != null)
                .getConditions()).extracting(c -> c.getType() + "=" + c.getStatus() + "/" + c.getReason())
                .contains("ResolvedRefs=False/InvalidCertificateRef", "Programmed=False/Invalid");
        // attached (the spec counts it), but nothing is served through a listener without its certificate
        assertThat(listenerWhen("late-secret", "https", l -> l.getAttachedRoutes() == 1).getAttachedRoutes()).isEqualTo(1);
        routeCondition(INFRA, "late", "late-secret", "Accepted", "True/Accepted");
        assertThat(parent(INFRA, "late", "late-secret").getConditions().stream().filter(c -> c.getType().equals("Accepted"))
                .findFirst().orElseThrow().getMessage()).contains("not served on https", "until it is programmed");
        assertThat(controller.controller.published().routes()).noneMatch(r -> r.id().startsWith(INFRA + "/late#"));

        Secret secret = tlsSecret(INFRA, "late-tls", List.of("late.example.net"));
        create(secret);
        accepted(INFRA, "late", "late-secret");
        expectTls(at("late.example.net", "/", "infra-backend-v3", INFRA));

        Secret other = tlsSecret(INFRA, "late-tls", List.of("late.example.net"));
        secret.getData().put("tls.key", other.getData().get("tls.key")); // the key of another certificate
        client.resource(secret).update();
        listenerWhen("late-secret", "https", l -> "False/InvalidCertificateRef".equals(condition(l.getConditions(), "ResolvedRefs")));
        Cluster.await(WITHIN, () -> controller.controller.published().certificates().stream()
                .anyMatch(c -> c.id().equals(INFRA + "/late-tls")), served -> !served, "the broken certificate out of the snapshot");
    }

    private void create(HasMetadata o) {
        client.resource(o).create();
        applied.add(o);
    }

    /** GatewayStatusMustHaveListeners with one listener "https", ResolvedRefs as expected, HTTPRoute supported, none attached. */
    private void refused(String gateway, String resolvedRefs) throws InterruptedException {
        ListenerStatus l = listenerWhen(gateway, "https", x -> resolvedRefs.equals(condition(x.getConditions(), "ResolvedRefs")));
        assertThat(l.getSupportedKinds()).extracting(k -> k.getGroup() + "/" + k.getKind())
                .containsExactly("gateway.networking.k8s.io/HTTPRoute");
        assertThat(l.getAttachedRoutes()).isZero();
        assertThat(condition(l.getConditions(), "Programmed")).isEqualTo("False/Invalid");
    }

    /** GatewayStatusMustHaveListeners with one listener "https", Programmed and ResolvedRefs true. */
    private void programmed(String gateway) throws InterruptedException {
        ListenerStatus l = listenerWhen(gateway, "https", x -> "True/Programmed".equals(condition(x.getConditions(), "Programmed")));
        assertThat(condition(l.getConditions(), "ResolvedRefs")).isEqualTo("True/ResolvedRefs");
        assertThat(l.getSupportedKinds()).extracting(k -> k.getGroup() + "/" + k.getKind())
                .containsExactly("gateway.networking.k8s.io/HTTPRoute");
        assertThat(l.getAttachedRoutes()).isZero();
    }

    /** The listener's status once {@code until} holds for it, bounded. */
    private ListenerStatus listenerWhen(String gateway, String name, Predicate<ListenerStatus> until) throws InterruptedException {
        return Cluster.await(WITHIN, () -> {
            Gateway g = gateway(gateway);
            return g == null || g.getStatus() == null || g.getStatus().getListeners() == null ? null : g.getStatus().getListeners()
                    .stream().filter(l -> name.equals(l.getName())).findFirst().orElse(null);
        }, l -> l != null && until.test(l), gateway + " listener " + name);
    }

    /** GatewayMustHaveLatestConditions, and {@code until} holds: the status of the Gateway's generation. */
    private Gateway atLatestGeneration(String name, Predicate<Gateway> until) throws InterruptedException {
        return Cluster.await(WITHIN, () -> {
            Gateway g = gateway(name);
            if (g == null || g.getStatus() == null || g.getStatus().getConditions() == null || g.getStatus().getListeners() == null) {
                return null;
            }
            Long gen = g.getMetadata().getGeneration();
            boolean latest = g.getStatus().getConditions().stream().allMatch(c -> Objects.equals(c.getObservedGeneration(), gen))
                    && g.getStatus().getListeners().stream().flatMap(l -> l.getConditions().stream())
                    .allMatch(c -> Objects.equals(c.getObservedGeneration(), gen));
            return latest && until.test(g) ? g : null;
        }, Objects::nonNull, name + " status at its latest generation");
    }

    /** The listener of GatewayModifyListeners: Accepted and ResolvedRefs true, HTTPRoute supported, one route attached. */
    private static boolean acceptedResolvedAttachedOne(ListenerStatus l) {
        return Objects.requireNonNullElse(condition(l.getConditions(), "Accepted"), "").startsWith("True/")
                && Objects.requireNonNullElse(condition(l.getConditions(), "ResolvedRefs"), "").startsWith("True/")
                && Objects.equals(l.getAttachedRoutes(), 1) && l.getSupportedKinds() != null
                && l.getSupportedKinds().stream().anyMatch(k -> "HTTPRoute".equals(k.getKind()));
    }
}
