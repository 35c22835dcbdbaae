package dev.gatehouse.e2e;

import dev.gatehouse.controller.k8s.IngressConfig;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ListenerStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.RouteParentStatus;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static dev.gatehouse.e2e.Cluster.NS;
import static dev.gatehouse.e2e.Cluster.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Gateway API end to end: a GatewayClass, a Gateway and HTTPRoutes applied to the Fabric8 mock
 * API server; the real controller translates them and pushes to a real proxy over the real
 * channel; requests go to real backends that echo what they received; status is read back as
 * {@code kubectl get} shows it.
 */
class GatewayApiE2ETest extends OneProxyE2E {
    static final Duration WITHIN = Duration.ofSeconds(20);
    static final String CONTROLLER = "gatehouse.dev/gateway-controller";

    void start(String... backends) throws Exception {
        startServer();
        for (String b : backends) {
            backend(NS, b);
        }
        startControllerAndProxy(new IngressConfig("gatehouse", null, List.of("203.0.113.7")));
    }

    /** A backend that echoes, behind Service {@code namespace/name} (port 80, named http), its one pod on loopback. */
    void backend(String namespace, String name) throws Exception {
        service(namespace, name, echo(name));
    }

    void awaitAnswer(String host, String path, String expectedStart, String... headers) throws InterruptedException {
        awaitAnswer(WITHIN, host, path, expectedStart, headers);
    }

    static String text(Condition c) {
        return c == null ? "none" : c.getType() + "=" + c.getStatus() + "/" + c.getReason();
    }

    Gateway gateway(String name) {
        return client.resources(Gateway.class).inNamespace(NS).withName(name).get();
    }

    HTTPRoute route(String name) {
        return client.resources(HTTPRoute.class).inNamespace(NS).withName(name).get();
    }

    /** Our entry of the route's status.parents[], or null. */
    RouteParentStatus parent(String route) {
        HTTPRoute r = route(route);
        return r == null || r.getStatus() == null || r.getStatus().getParents() == null ? null : r.getStatus().getParents().stream()
                .filter(p -> CONTROLLER.equals(p.getControllerName())).findFirst().orElse(null);
    }

    /** {@code kubectl get gateway NAME}: NAME CLASS ADDRESS PROGRAMMED. */
    String kubectlGetGateway(String name) {
        Gateway g = gateway(name);
        String address = g.getStatus() == null || g.getStatus().getAddresses() == null || g.getStatus().getAddresses().isEmpty()
                ? "" : g.getStatus().getAddresses().get(0).getValue();
        Condition programmed = g.getStatus() == null ? null : condition(g.getStatus().getConditions(), "Programmed");
        return String.join(" ", name, g.getSpec().getGatewayClassName(), address,
                programmed == null ? "Unknown" : programmed.getStatus());
    }

    static final String SET = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: gatehouse}
            spec: {controllerName: gatehouse.dev/gateway-controller}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: other}
            spec: {controllerName: example.com/other-controller}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: web}
            spec:
              gatewayClassName: gatehouse
              listeners:
                - {name: http, protocol: HTTP, port: 80, hostname: "*.example.com"}
                - name: https
                  protocol: HTTPS
                  port: 443
                  tls: {certificateRefs: [{name: web-tls}]}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: theirs}
            spec:
              gatewayClassName: other
              listeners: [{name: http, protocol: HTTP, port: 80}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: shop}
            spec:
              parentRefs: [{name: web, sectionName: http}]
              hostnames: [shop.example.com, shop.example.org]
              rules:
                - matches: [{path: {type: PathPrefix, value: /shop}}]
                  backendRefs: [{name: a, port: 80, weight: 3}, {name: b, port: 80, weight: 1}]
                - matches: [{path: {type: PathPrefix, value: /shop}, headers: [{name: X-Canary, value: "yes"}]}]
                  backendRefs: [{name: b, port: 80}]
                - matches: [{path: {type: Exact, value: /exact}}]
                  backendRefs: [{name: b, port: 80}]
                - matches: [{path: {type: PathPrefix, value: /modify}}]
                  filters: [{type: RequestHeaderModifier, requestHeaderModifier: {set: [{name: X-Forwarded-For, value: "1.2.3.4"}]}}]
                  backendRefs: [{name: a, port: 80}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: theirs}
            spec:
              parentRefs: [{name: theirs}]
              rules: [{backendRefs: [{name: a, port: 80}]}]
            """;

    @Test
    void weightedSplitAcrossTwoServicesThroughTheRealProxyWithStatusAsKubectlShowsIt() throws Exception {
        start("a", "b");
        apply(SET);
        awaitAnswer("shop.example.com", "/exact", "200 b /exact host=shop.example.com");

        // 3:1 across two Services, kept exactly by the per-pod weights of one smooth weighted round robin
        Map<String, Integer> counts = new TreeMap<>();
        for (int i = 0; i < 400; i++) {
            RawGet.Answer a = get("shop.example.com", "/shop/item/" + i);
            assertThat(a.status()).isEqualTo(200);
            assertThat(a.body()).endsWith(" /shop/item/" + i + " host=shop.example.com");
            counts.merge(a.body().substring(0, 1), 1, Integer::sum);
        }
        assertThat(counts).isEqualTo(Map.of("a", 300, "b", 100));

        assertThat(get("shop.example.com", "/shop/x", "X-Canary", "yes").body()).as("more header matches win")
                .startsWith("b /shop/x");
        assertThat(get("shop.example.org", "/exact").status()).as("not a hostname of the listener").isEqualTo(404);
        assertThat(get("shop.example.com", "/exactly").status()).as("Exact is exact").isNotEqualTo(200);
        assertThat(get("shop.example.com", "/modify/x").status())
                .as("a filter Gatehouse refuses (a reserved header): never served without it").isEqualTo(500);

        GatewayClass cls = await(WITHIN, () -> client.resources(GatewayClass.class).withName("gatehouse").get(),
                c -> c.getStatus() != null && condition(c.getStatus().getConditions(), "Accepted") != null, "class status");
        assertThat(text(condition(cls.getStatus().getConditions(), "Accepted"))).isEqualTo("Accepted=True/Accepted");

        assertThat(await(WITHIN, () -> kubectlGetGateway("web"), s -> s.endsWith("True"), "the Gateway programmed"))
                .isEqualTo("web gatehouse 203.0.113.7 True");
        Gateway web = gateway("web");
        assertThat(text(condition(web.getStatus().getConditions(), "Accepted")))
                .as("its https listener names a Secret that does not exist").isEqualTo("Accepted=True/ListenersNotValid");
        assertThat(web.getStatus().getAddresses()).extracting(a -> a.getType() + "=" + a.getValue())
                .containsExactly("IPAddress=203.0.113.7");
        Map<String, ListenerStatus> listeners = new TreeMap<>();
        web.getStatus().getListeners().forEach(l -> listeners.put(l.getName(), l));
        assertThat(listeners.get("http").getAttachedRoutes()).isEqualTo(1);
        assertThat(text(condition(listeners.get("http").getConditions(), "Programmed"))).isEqualTo("Programmed=True/Programmed");
        assertThat(listeners.get("https").getAttachedRoutes()).isZero();
        assertThat(text(condition(listeners.get("https").getConditions(), "Programmed")))
                .isEqualTo("Programmed=False/Invalid");
        assertThat(text(condition(listeners.get("https").getConditions(), "ResolvedRefs")))
                .isEqualTo("ResolvedRefs=False/InvalidCertificateRef");

        RouteParentStatus shop = await(WITHIN, () -> parent("shop"), p -> p != null, "the route's parents entry");
        assertThat(shop.getParentRef().getName()).isEqualTo("web");
        assertThat(shop.getParentRef().getSectionName()).isEqualTo("http");
        assertThat(text(condition(shop.getConditions(), "Accepted"))).isEqualTo("Accepted=True/Accepted");
        assertThat(text(condition(shop.getConditions(), "ResolvedRefs"))).isEqualTo("ResolvedRefs=True/ResolvedRefs");
        Condition partial = condition(shop.getConditions(), "PartiallyInvalid");
        assertThat(text(partial)).isEqualTo("PartiallyInvalid=True/UnsupportedValue");
        assertThat(partial.getMessage()).contains("spec.rules[3]", "requestHeaderModifier.set[0].name", "X-Forwarded-For", "500");

        // another controller's class, Gateway and route: never written to
        assertThat(client.resources(GatewayClass.class).withName("other").get().getStatus()).isNull();
        assertThat(gateway("theirs").getStatus()).isNull();
        assertThat(route("theirs").getStatus()).isNull();
    }

    @Test
    void aBackendInAnotherNamespaceNeedsAReferenceGrant() throws Exception {
        start("a");
        backend("data", "c");
        apply("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: GatewayClass
                metadata: {name: gatehouse}
                spec: {controllerName: gatehouse.dev/gateway-controller}
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: Gateway
                metadata: {name: web}
                spec:
                  gatewayClassName: gatehouse
                  listeners: [{name: http, protocol: HTTP, port: 80}]
                ---
                apiVersion: gateway.networking.k8s.io/v1
                kind: HTTPRoute
                metadata: {name: cross}
                spec:
                  parentRefs: [{name: web}]
                  rules:
                    - matches: [{path: {type: PathPrefix, value: /data}}]
                      backendRefs: [{name: c, namespace: data, port: 80}]
                    - backendRefs: [{name: a, port: 80}]
                """);
        awaitAnswer("any.test", "/elsewhere", "200 a /elsewhere");
        assertThat(get("any.test", "/data/1").status()).as("not permitted: the rule answers 500, never falls through")
                .isEqualTo(500);
        RouteParentStatus cross = await(WITHIN, () -> parent("cross"),
                p -> p != null && condition(p.getConditions(), "ResolvedRefs") != null, "status");
        assertThat(text(condition(cross.getConditions(), "ResolvedRefs"))).isEqualTo("ResolvedRefs=False/RefNotPermitted");
        assertThat(condition(cross.getConditions(), "ResolvedRefs").getMessage()).contains("spec.rules[0].backendRefs[0]",
                "ReferenceGrant in data");

        apply("""
                apiVersion: gateway.networking.k8s.io/v1
                kind: ReferenceGrant
                metadata: {name: from-default, namespace: data}
                spec:
                  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: default}]
                  to: [{group: "", kind: Service}]
                """);
        awaitAnswer("any.test", "/data/1", "200 c /data/1");
        await(WITHIN, () -> text(condition(parent("cross").getConditions(), "ResolvedRefs")),
                "ResolvedRefs=True/ResolvedRefs"::equals, "ResolvedRefs turns True");
    }
}
