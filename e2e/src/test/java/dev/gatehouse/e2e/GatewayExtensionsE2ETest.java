package dev.gatehouse.e2e;

import dev.gatehouse.api.v1alpha1.KeyAuthFilter;
import dev.gatehouse.controller.k8s.IngressConfig;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.RouteParentStatus;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.gatehouse.e2e.Cluster.NS;
import static dev.gatehouse.e2e.Cluster.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Gatehouse's Gateway API extensions end to end (docs/gateway-api.md, "Extensions"): an HTTPRoute rule
 * with an ExtensionRef filter to a KeyAuthFilter checks API keys against Consumers, and a backendRef of
 * kind Upstream balances by that Upstream's algorithm (ConsistentHash on a header here), through the
 * real controller, channel and proxy to real backends that echo what they received.
 */
class GatewayExtensionsE2ETest extends OneProxyE2E {
    static final Duration WITHIN = Duration.ofSeconds(20);
    static final String CONTROLLER = "gatehouse.dev/gateway-controller";
    final Map<String, EchoBackend> backends = new HashMap<>();

    static final String SET = """
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
            metadata: {name: api}
            spec:
              parentRefs: [{name: web}]
              hostnames: [api.example.com]
              rules:
                - matches: [{path: {type: PathPrefix, value: /keyed}}]
                  filters: [{type: ExtensionRef, extensionRef: {group: gatehouse.dev, kind: KeyAuthFilter, name: api-keys}}]
                  backendRefs: [{name: open, port: 80}]
                - matches: [{path: {type: PathPrefix, value: /hashed}}]
                  backendRefs: [{group: gatehouse.dev, kind: Upstream, name: by-user}]
                - matches: [{path: {type: PathPrefix, value: /limited}}]
                  filters: [{type: ExtensionRef, extensionRef: {group: example.com, kind: RateLimit, name: slow}}]
                  backendRefs: [{name: open, port: 80}]
            ---
            apiVersion: gatehouse.dev/v1alpha1
            kind: KeyAuthFilter
            metadata: {name: api-keys}
            spec: {keyNames: [X-Api-Key], keyInQuery: false, hideCredentials: true}
            ---
            apiVersion: gatehouse.dev/v1alpha1
            kind: Upstream
            metadata: {name: by-user}
            spec:
              algorithm: ConsistentHash
              hashOn: {source: Header, name: x-user-id}
              serviceRef: {name: pool, port: http}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: alice-key, labels: {gatehouse.dev/credential: key-auth}}
            stringData: {key: alice-secret-1}
            ---
            apiVersion: gatehouse.dev/v1alpha1
            kind: Consumer
            metadata: {name: alice}
            spec: {username: alice, customId: crm-7, keyAuth: {secretRefs: [{name: alice-key}]}}
            """;

    @Test
    void keyAuthFilterChecksKeysAndAnUpstreamBackendRefKeepsItsAlgorithm() throws Exception {
        start();
        serviceWithPods("open", "open");
        serviceWithPods("pool", "p1", "p2");
        apply(SET);
        EchoBackend open = backends.get("open");
        awaitAnswer("/keyed/x", "200 open /keyed/x", "X-Api-Key", "alice-secret-1");

        // no key: 401 from the proxy, and the backend sees nothing
        int before = open.requests();
        RawGet.Answer none = getApi("/keyed/x");
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.headers()).containsIgnoringCase("WWW-Authenticate: Key realm=\"gatehouse\"");
        assertThat(none.body()).contains("No API key found in request");
        assertThat(getApi("/keyed/x", "X-Api-Key", "not-a-key").status()).isEqualTo(401);
        assertThat(getApi("/keyed/x?X-Api-Key=alice-secret-1").status()).as("keyInQuery: false").isEqualTo(401);
        assertThat(open.requests()).as("refused requests never reach the backend").isEqualTo(before);

        // the key: 200, the consumer headers (a client's own are replaced), the key itself hidden
        RawGet.Answer ok = getApi("/keyed/x", "X-Api-Key", "alice-secret-1", "X-Consumer-Username", "mallory");
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.body()).contains("\nx-consumer-username: alice\n", "\nx-consumer-custom-id: crm-7\n", "\nx-consumer-id: ",
                "\nx-credential-identifier: ").doesNotContain("x-api-key", "alice-secret-1", "mallory");
        assertThat(open.requests()).isEqualTo(before + 1);

        // ConsistentHash on x-user-id: one value always reaches one pod; the values spread over both.
        // 15 users a round: a round robin would send each user to the other pod in the next round.
        Map<String, Set<String>> byUser = new HashMap<>();
        for (int round = 0; round < 4; round++) {
            for (int u = 0; u < 15; u++) {
                RawGet.Answer a = getApi("/hashed/" + u, "X-User-Id", "user-" + u);
                assertThat(a.status()).isEqualTo(200);
                byUser.computeIfAbsent("user-" + u, k -> new HashSet<>()).add(a.body().substring(0, 2));
            }
        }
        assertThat(byUser.values()).as("each user on one pod").allMatch(s -> s.size() == 1);
        Set<String> pods = new HashSet<>();
        byUser.values().forEach(pods::addAll);
        assertThat(pods).as("15 users over both pods").containsExactlyInAnyOrder("p1", "p2");

        // an extension Gatehouse does not know: the rule answers 500, never served without it
        assertThat(getApi("/limited/x").status()).isEqualTo(500);
        RouteParentStatus api = await(WITHIN, () -> parent("api"),
                p -> p != null && condition(p.getConditions(), "ResolvedRefs") != null, "the route's status");
        Condition refs = condition(api.getConditions(), "ResolvedRefs");
        assertThat(refs.getStatus() + "/" + refs.getReason()).isEqualTo("False/InvalidKind");
        assertThat(refs.getMessage()).contains("spec.rules[2]", "example.com/RateLimit", "500");
        assertThat(condition(api.getConditions(), "Accepted").getStatus()).isEqualTo("True");

        // the KeyAuthFilter deleted: its rule answers 500 rather than be served without keys
        client.resources(KeyAuthFilter.class).inNamespace(NS).withName("api-keys").delete();
        await(WITHIN, () -> getApi("/keyed/x").status(), s -> s == 500, "500 without the filter");
        assertThat(open.requests()).isEqualTo(before + 1);
        await(WITHIN, () -> condition(parent("api").getConditions(), "ResolvedRefs").getMessage(),
                m -> m.contains("KeyAuthFilter default/api-keys not found"), "the route names the missing filter");
    }

    void start() throws Exception {
        startControllerAndProxy(new IngressConfig("gatehouse", null, List.of("203.0.113.7")));
    }

    /** Service {@code name} (port 80, named http) whose pods are header-echoing backends on loopback, one slice each. */
    void serviceWithPods(String name, String... pods) throws Exception {
        service(NS, name);
        for (String pod : pods) {
            EchoBackend b = EchoBackend.startEchoingHeaders(pod);
            running.add(b);
            backends.put(pod, b);
            slice(NS, name, name + "-" + pod, b);
        }
    }

    RawGet.Answer getApi(String path, String... headers) {
        return get("api.example.com", path, headers);
    }

    void awaitAnswer(String path, String expectedStart, String... headers) throws InterruptedException {
        awaitAnswer(WITHIN, "api.example.com", path, expectedStart, headers);
    }

    /** Our entry of the route's status.parents[], or null. */
    RouteParentStatus parent(String route) {
        HTTPRoute r = client.resources(HTTPRoute.class).inNamespace(NS).withName(route).get();
        return r == null || r.getStatus() == null || r.getStatus().getParents() == null ? null : r.getStatus().getParents().stream()
                .filter(p -> CONTROLLER.equals(p.getControllerName())).findFirst().orElse(null);
    }
}
