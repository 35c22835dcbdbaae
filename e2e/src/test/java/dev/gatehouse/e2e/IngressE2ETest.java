package dev.gatehouse.e2e;

import dev.gatehouse.controller.k8s.IngressConfig;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressClass;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngress;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.gatehouse.e2e.Cluster.NS;
import static dev.gatehouse.e2e.Cluster.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Ingress v1 end to end: Ingresses, IngressClasses and Services applied to the Fabric8 mock API
 * server; the real controller translates them and pushes to a real proxy over the real channel;
 * requests go to real backends that echo the path and Host they received. The pathType table is
 * the one the Kubernetes documentation gives ("Examples" under "Path types").
 */
class IngressE2ETest extends OneProxyE2E {
    static final Duration WITHIN = Duration.ofSeconds(15);
    static final String PUBLISH_NS = "gatehouse-system";

    /** The mock server, the backends named (each behind a Service of that name), a controller and one proxy. */
    void start(IngressConfig ingress, String... backends) throws Exception {
        startServer();
        for (String name : backends) {
            service(NS, name, echo(name));
        }
        startControllerAndProxy(ingress);
    }

    /** Waits until a request answers as expected: the proxy has the snapshot that holds it. */
    void awaitAnswer(String host, String path, String expectedStart) throws InterruptedException {
        awaitAnswer(WITHIN, host, path, expectedStart);
    }

    Ingress ingress(String name) {
        return client.network().v1().ingresses().inNamespace(NS).withName(name).get();
    }

    static List<IngressLoadBalancerIngress> lb(Ingress i) {
        return i == null || i.getStatus() == null || i.getStatus().getLoadBalancer() == null
                || i.getStatus().getLoadBalancer().getIngress() == null ? List.of() : i.getStatus().getLoadBalancer().getIngress();
    }

    List<Event> events(String ingress) {
        return client.v1().events().inNamespace(NS).list().getItems().stream()
                .filter(e -> e.getInvolvedObject() != null && ingress.equals(e.getInvolvedObject().getName())).toList();
    }

    static String backend(String ref) {
        return "{service: {name: " + ref + ", port: {name: http}}}";
    }

    static String rule(String host, String... pathTypeBackend) {
        StringBuilder sb = new StringBuilder("    - host: \"" + host + "\"\n      http:\n        paths:\n");
        for (int i = 0; i < pathTypeBackend.length; i += 3) {
            sb.append("          - {path: ").append(pathTypeBackend[i]).append(", pathType: ").append(pathTypeBackend[i + 1])
                    .append(", backend: ").append(backend(pathTypeBackend[i + 2])).append("}\n");
        }
        return sb.toString();
    }

    @Test
    void pathTypesHostsAndTheDefaultBackendAsTheKubernetesDocsSay() throws Exception {
        start(IngressConfig.DEFAULT, "a", "b", "exact", "root", "fallback");
        apply("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: table}\nspec:\n  ingressClassName: gatehouse\n  rules:\n"
                + rule("prefix-root.test", "/", "Prefix", "a")
                + rule("exact-foo.test", "/foo", "Exact", "exact")
                + rule("exact-foo-slash.test", "/foo/", "Exact", "exact")
                + rule("prefix-foo.test", "/foo", "Prefix", "a")
                + rule("prefix-foo-slash.test", "/foo/", "Prefix", "a")
                + rule("prefix-aaa-bb.test", "/aaa/bb", "Prefix", "a")
                + rule("prefix-aaa-bbb.test", "/aaa/bbb", "Prefix", "a")
                + rule("prefix-aaa-bbb-slash.test", "/aaa/bbb/", "Prefix", "a")
                + rule("two.test", "/", "Prefix", "root", "/aaa", "Prefix", "a")
                + rule("three.test", "/", "Prefix", "root", "/aaa", "Prefix", "a", "/aaa/bbb", "Prefix", "b")
                + rule("only-aaa.test", "/aaa", "Prefix", "a")
                + rule("mixed.test", "/foo", "Prefix", "a", "/foo", "Exact", "exact")
                + rule("*.wild.test", "/", "Prefix", "a")
                + rule("case.test", "/Foo", "Exact", "exact", "/impl/", "ImplementationSpecific", "b"));
        apply("""
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata: {name: fallback}
                spec:
                  ingressClassName: gatehouse
                  defaultBackend: {service: {name: fallback, port: {number: 80}}}
                """);
        awaitAnswer("mixed.test", "/foo", "200 exact");
        awaitAnswer("unknown.test", "/", "200 fallback");
        String[][] table = {
                // host, request path, the backend that must answer ("fallback": no rule matched)
                {"prefix-root.test", "/anything/x", "a"},
                {"exact-foo.test", "/foo", "exact"}, {"exact-foo.test", "/bar", "fallback"}, {"exact-foo.test", "/foo/", "fallback"},
                {"exact-foo-slash.test", "/foo", "fallback"}, {"exact-foo-slash.test", "/foo/", "exact"},
                {"prefix-foo.test", "/foo", "a"}, {"prefix-foo.test", "/foo/", "a"},
                {"prefix-foo-slash.test", "/foo", "a"}, {"prefix-foo-slash.test", "/foo/", "a"},
                {"prefix-aaa-bb.test", "/aaa/bbb", "fallback"},
                {"prefix-aaa-bbb.test", "/aaa/bbb", "a"}, {"prefix-aaa-bbb.test", "/aaa/bbb/", "a"},
                {"prefix-aaa-bbb.test", "/aaa/bbb/ccc", "a"}, {"prefix-aaa-bbb.test", "/aaa/bbbxyz", "fallback"},
                {"prefix-aaa-bbb-slash.test", "/aaa/bbb", "a"},
                {"two.test", "/aaa/ccc", "a"},
                {"three.test", "/aaa/bbb", "b"}, {"three.test", "/ccc", "root"},
                {"only-aaa.test", "/ccc", "fallback"},
                {"mixed.test", "/foo", "exact"}, {"mixed.test", "/foo/x", "a"},
                {"x.wild.test", "/p", "a"}, {"x.y.wild.test", "/p", "fallback"}, {"wild.test", "/p", "fallback"},
                {"case.test", "/Foo", "exact"}, {"case.test", "/foo", "fallback"},
                {"case.test", "/impl/x", "b"}, {"case.test", "/impl", "fallback"},
        };
        List<String> wrong = new ArrayList<>();
        for (String[] row : table) {
            RawGet.Answer a = get(row[0], row[1]);
            if (a.status() != 200 || !a.body().startsWith(row[2] + " ")) {
                wrong.add(row[0] + row[1] + " -> " + a + " (expected " + row[2] + ")");
            }
        }
        assertThat(wrong).as("rows of the pathType table answered by the wrong backend").isEmpty();
        // the path and the query go upstream unchanged, and the client's Host with them
        assertThat(get("prefix-aaa-bbb.test", "/aaa/bbb/ccc?x=1&y=%2A").body())
                .isEqualTo("a /aaa/bbb/ccc?x=1&y=%2A host=prefix-aaa-bbb.test");

        // without a default backend, an unmatched request gets Gatehouse's 404 JSON
        client.network().v1().ingresses().inNamespace(NS).withName("fallback").delete();
        RawGet.Answer none = await(WITHIN, () -> get("exact-foo.test", "/bar"), a -> a.status() == 404, "404 once the default is gone");
        assertThat(none.headers()).containsIgnoringCase("content-type: application/json");
        assertThat(none.body()).contains("\"message\":\"no Route matched with those values\"");
    }

    @Test
    void annotationsApplyAndWhatCannotBeUsedIsAWarningEventWhileTheRestIsServed() throws Exception {
        start(IngressConfig.DEFAULT, "a");
        apply("""
                apiVersion: v1
                kind: Secret
                metadata: {name: client-key, labels: {gatehouse.dev/credential: key-auth}}
                data: {key: c2VjcmV0LWtleS0x}
                ---
                apiVersion: gatehouse.dev/v1alpha1
                kind: Consumer
                metadata: {name: client}
                spec: {username: client, keyAuth: {secretRefs: [{name: client-key}]}}
                ---
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata:
                  name: tuned
                  annotations:
                    gatehouse.dev/strip-path: "true"
                    gatehouse.dev/preserve-host: "false"
                    gatehouse.dev/retries: "1"
                    gatehouse.dev/read-timeout: 5s
                spec:
                  ingressClassName: gatehouse
                  rules:
                    - host: tuned.test
                      http: {paths: [{path: /api, pathType: Prefix, backend: {service: {name: a, port: {number: 80}}}}]}
                ---
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata:
                  name: keyed
                  annotations: {gatehouse.dev/key-auth: "true"}
                spec:
                  ingressClassName: gatehouse
                  rules:
                    - host: keyed.test
                      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: a, port: {number: 80}}}}]}
                ---
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata:
                  name: broken
                  annotations: {gatehouse.dev/retries: lots}
                spec:
                  ingressClassName: gatehouse
                  rules:
                    - host: broken.test
                      http:
                        paths:
                          - {path: /ok, pathType: Prefix, backend: {service: {name: a, port: {number: 80}}}}
                          - {path: /gone, pathType: Prefix, backend: {service: {name: later, port: {name: http}}}}
                          - path: /bucket
                            pathType: Prefix
                            backend: {resource: {apiGroup: k8s.example.com, kind: StorageBucket, name: assets}}
                """);
        awaitAnswer("broken.test", "/ok", "200 a");
        int port = Integer.parseInt(get("tuned.test", "/api/x?q=1").body().replaceAll(".*host=127\\.0\\.0\\.1:(\\d+)$", "$1"));
        assertThat(get("tuned.test", "/api/x?q=1").body()).as("strip-path, and the target's Host without preserve-host")
                .isEqualTo("a /x?q=1 host=127.0.0.1:" + port);
        assertThat(get("keyed.test", "/").status()).isEqualTo(401);
        assertThat(get("keyed.test", "/", "apikey", "wrong").status()).isEqualTo(401);
        assertThat(get("keyed.test", "/", "apikey", "secret-key-1").toString()).startsWith("200 a / host=keyed.test");
        // what cannot be used answers 503 (never falls through), the rest is served
        assertThat(get("broken.test", "/gone").status()).isEqualTo(503);
        assertThat(get("broken.test", "/bucket").status()).isEqualTo(503);
        List<Event> warnings = await(WITHIN, () -> events("broken"), l -> l.size() >= 3, "three Warning Events on Ingress broken");
        assertThat(warnings).allSatisfy(e -> {
            assertThat(e.getType()).isEqualTo("Warning");
            assertThat(e.getInvolvedObject().getKind()).isEqualTo("Ingress");
        });
        assertThat(warnings).extracting(e -> e.getReason() + " " + e.getMessage().substring(0, e.getMessage().indexOf(':')))
                .containsExactlyInAnyOrder("InvalidAnnotation metadata.annotations[gatehouse.dev/retries]",
                        "BackendNotFound spec.rules[0].http.paths[1].backend.service.name",
                        "InvalidKind spec.rules[0].http.paths[2].backend.resource");
        assertThat(events("tuned")).isEmpty();

        // the missing Service arrives: its path is served, and no warning is recorded twice
        service(NS, "later", echo("later"));
        awaitAnswer("broken.test", "/gone", "200 later /gone");
        assertThat(events("broken")).hasSize(3);
    }

    @Test
    void classSelectionStatusFromTheProxyServiceAndAnotherClassIsNeverTouched() throws Exception {
        startServer();
        client.resource(new ServiceBuilder().withNewMetadata().withName("gatehouse-proxy").withNamespace(PUBLISH_NS).endMetadata()
                .withNewSpec().withType("ClusterIP").withClusterIP("10.96.0.10").addNewPort().withName("http").withPort(80).endPort()
                .endSpec().build()).create();
        start(new IngressConfig("gatehouse", PUBLISH_NS + "/gatehouse-proxy", List.of()), "a");
        String owned = "  rules: [{host: %s, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: a, port: {number: 80}}}}]}}]\n";
        apply("""
                apiVersion: networking.k8s.io/v1
                kind: IngressClass
                metadata: {name: gatehouse}
                spec: {controller: gatehouse.dev/ingress-controller}
                ---
                apiVersion: networking.k8s.io/v1
                kind: IngressClass
                metadata: {name: nginx}
                spec: {controller: k8s.io/ingress-nginx}
                ---
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata: {name: ours}
                spec:
                  ingressClassName: gatehouse
                """ + owned.formatted("ours.test") + """
                ---
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata:
                  name: legacy
                  annotations: {kubernetes.io/ingress.class: gatehouse}
                spec:
                """ + owned.formatted("legacy.test") + """
                ---
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata: {name: no-class}
                spec:
                """ + owned.formatted("noclass.test") + """
                ---
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata:
                  name: nginx-owned
                  annotations: {gatehouse.dev/retries: lots}
                spec:
                  ingressClassName: nginx
                  rules: [{host: nginx.test, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: missing, port: {number: 80}}}}]}}]
                ---
                apiVersion: networking.k8s.io/v1
                kind: Ingress
                metadata:
                  name: nginx-legacy
                  annotations: {kubernetes.io/ingress.class: nginx}
                spec:
                """ + owned.formatted("nginx-legacy.test"));
        Map<String, String> versions = Map.of(
                "nginx-owned", ingress("nginx-owned").getMetadata().getResourceVersion(),
                "nginx-legacy", ingress("nginx-legacy").getMetadata().getResourceVersion());

        awaitAnswer("ours.test", "/", "200 a");
        awaitAnswer("legacy.test", "/", "200 a");
        assertThat(get("noclass.test", "/").status()).as("no class, and gatehouse is not the default").isEqualTo(404);
        assertThat(get("nginx.test", "/").status()).isEqualTo(404);
        assertThat(get("nginx-legacy.test", "/").status()).isEqualTo(404);

        // status: the proxy Service's ClusterIP; its external IPs once it has some; a load balancer's
        // hostname with them once it is a LoadBalancer (each step one write, as ingress-nginx shows them)
        for (String name : List.of("ours", "legacy")) {
            await(WITHIN, () -> lb(ingress(name)), l -> l.size() == 1 && "10.96.0.10".equals(l.get(0).getIp()), name + " shows the ClusterIP");
        }
        var proxyService = client.services().inNamespace(PUBLISH_NS).withName("gatehouse-proxy").get();
        proxyService.getSpec().setExternalIPs(List.of("198.51.100.7"));
        client.resource(proxyService).update();
        for (String name : List.of("ours", "legacy")) {
            await(WITHIN, () -> lb(ingress(name)), l -> l.size() == 1 && "198.51.100.7".equals(l.get(0).getIp()),
                    name + " shows the external IP");
        }
        proxyService = client.services().inNamespace(PUBLISH_NS).withName("gatehouse-proxy").get();
        proxyService.setStatus(new io.fabric8.kubernetes.api.model.ServiceStatusBuilder().withNewLoadBalancer()
                .addNewIngress().withHostname("lb.example.com").endIngress().endLoadBalancer().build());
        client.resource(proxyService).updateStatus(); // not a LoadBalancer yet: nothing changes for the Ingresses
        proxyService = client.services().inNamespace(PUBLISH_NS).withName("gatehouse-proxy").get();
        proxyService.getSpec().setType("LoadBalancer");
        client.resource(proxyService).update();
        for (String name : List.of("ours", "legacy")) {
            await(WITHIN, () -> lb(ingress(name)), l -> l.size() == 2 && "lb.example.com".equals(l.get(0).getHostname())
                    && "198.51.100.7".equals(l.get(1).getIp()), name + " shows the load balancer's hostname and the external IP");
        }

        // gatehouse becomes the default class: the Ingress without class is taken
        IngressClass ours = client.network().v1().ingressClasses().withName("gatehouse").get();
        ours.getMetadata().setAnnotations(Map.of("ingressclass.kubernetes.io/is-default-class", "true"));
        client.resource(ours).update();
        awaitAnswer("noclass.test", "/", "200 a");
        await(WITHIN, () -> lb(ingress("no-class")), l -> l.size() == 2, "no-class shows the addresses");

        // nginx's Ingresses: never served, never written to, no Event about them
        assertThat(get("nginx.test", "/").status()).isEqualTo(404);
        for (String name : versions.keySet()) {
            Ingress i = ingress(name);
            assertThat(i.getMetadata().getResourceVersion()).as(name + " unchanged").isEqualTo(versions.get(name));
            assertThat(lb(i)).as(name + " status").isEmpty();
            assertThat(events(name)).as(name + " events").isEmpty();
        }
        List<String> requests = server.drainRequests();
        assertThat(requests).as("requests that touch an nginx Ingress")
                .filteredOn(r -> r.contains("/ingresses/nginx") && !r.startsWith("GET ")).isEmpty();
        assertThat(requests).as("the requests were recorded").anyMatch(r -> r.startsWith("PUT ") && r.contains("/ingresses/ours/status"));
        // no no-op writes: one write per address change, however many rebuilds ran meanwhile
        assertThat(requests).filteredOn(r -> r.startsWith("PUT ") && r.contains("/ingresses/ours/status")).hasSize(3);
    }
}
