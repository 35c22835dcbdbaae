package dev.gatehouse.controller.k8s;

import dev.gatehouse.controller.files.ManifestReader;
import dev.gatehouse.controller.translate.GatewayApiState;
import dev.gatehouse.controller.translate.Translation;
import dev.gatehouse.controller.translate.Translator;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteStatus;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ParentReference;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.RouteParentStatus;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Gateway API status writer against the Fabric8 mock API server: what it writes (as
 * {@code kubectl get -o yaml} would show it), that a second pass over the same decisions writes
 * nothing, that another controller's GatewayClass and its HTTPRoute parents entry are never
 * touched, and that Programmed follows the proxies.
 */
@ExtendWith(MockApiServerExtension.class)
class GatewayStatusWriterTest {
    static final String YAML = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: gatehouse}
            spec: {controllerName: gatehouse.dev/gateway-controller}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: other}
            spec: {controllerName: example.com/other}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: web, namespace: default}
            spec:
              gatewayClassName: gatehouse
              listeners:
                - {name: http, protocol: HTTP, port: 80}
                - {name: alt, protocol: HTTP, port: 8080}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: app, namespace: default}
            spec:
              parentRefs: [{name: web}, {name: theirs}]
              rules: [{backendRefs: [{name: missing, port: 80}]}]
            """;

    KubernetesMockServer server;
    KubernetesClient client;

    private static final ProxyFleet ONE_ACKED = new ProxyFleet() {
        @Override
        public int connected() {
            return 1;
        }

        @Override
        public int ackedAtLeast(long version) {
            return 1;
        }

        @Override
        public Map<String, String> rejections(long version) {
            return Map.of();
        }
    };

    GatewayApiState cached() {
        return new GatewayApiState(client.resources(GatewayClass.class).list().getItems(),
                client.resources(Gateway.class).inAnyNamespace().list().getItems(),
                client.resources(HTTPRoute.class).inAnyNamespace().list().getItems(), List.of(), List.of());
    }

    Translation translate(GatewayApiState state) {
        return Translator.translate(ManifestReader.state(List.of()).withGatewayApi(state));
    }

    static Condition condition(List<Condition> conditions, String type) {
        return conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElseThrow();
    }

    List<String> statusWrites() throws InterruptedException {
        List<String> out = new ArrayList<>();
        RecordedRequest r;
        while ((r = server.takeRequest(10, java.util.concurrent.TimeUnit.MILLISECONDS)) != null) {
            if ("PUT".equals(r.getMethod()) && r.getPath().endsWith("/status")) {
                out.add(r.getPath());
            }
        }
        return out;
    }

    @Test
    void writesOnceKeepsOthersEntriesAndNeverTouchesAnotherClass() throws Exception {
        for (HasMetadata o : ManifestReader.read("in.yaml", YAML).objects()) {
            client.resource(o).create();
        }
        HTTPRoute route = client.resources(HTTPRoute.class).inNamespace("default").withName("app").get();
        RouteParentStatus theirs = new RouteParentStatus(List.of(new Condition("2026-01-01T00:00:00Z", "theirs", 1L,
                "Accepted", "True", "Accepted")), "example.com/other",
                new ParentReference(null, null, "theirs", null, null, null));
        route.setStatus(new HTTPRouteStatus(List.of(theirs)));
        client.resource(route).updateStatus();
        statusWrites();

        Clock clock = Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"), ZoneOffset.UTC);
        GatewayStatusWriter writer = new GatewayStatusWriter(client, clock, "gatehouse.dev/gateway-controller",
                new SimpleMeterRegistry());
        GatewayApiState state = cached();
        GatewayStatusWriter.Pass first = writer.write(state, translate(state).gatewayApi(), List.of("203.0.113.7", "lb.example.com"),
                1, ProxyFleet.NONE, StatusPace.UNPACED);
        assertThat(first.written()).isEqualTo(3);
        assertThat(statusWrites()).containsExactlyInAnyOrder(
                "/apis/gateway.networking.k8s.io/v1/gatewayclasses/gatehouse/status",
                "/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways/web/status",
                "/apis/gateway.networking.k8s.io/v1/namespaces/default/httproutes/app/status");

        GatewayClass cls = client.resources(GatewayClass.class).withName("gatehouse").get();
        assertThat(condition(cls.getStatus().getConditions(), "Accepted").getStatus()).isEqualTo("True");
        assertThat(client.resources(GatewayClass.class).withName("other").get().getStatus()).isNull();

        Gateway gw = client.resources(Gateway.class).inNamespace("default").withName("web").get();
        assertThat(gw.getStatus().getAddresses()).extracting(a -> a.getType() + "=" + a.getValue())
                .containsExactly("IPAddress=203.0.113.7", "Hostname=lb.example.com");
        assertThat(condition(gw.getStatus().getConditions(), "Accepted").getStatus()).isEqualTo("True");
        Condition programmed = condition(gw.getStatus().getConditions(), "Programmed");
        assertThat(programmed.getStatus()).isEqualTo("False");
        assertThat(programmed.getReason()).isEqualTo("Pending");
        assertThat(programmed.getLastTransitionTime()).isEqualTo("2026-12-01T10:00:00Z");
        assertThat(gw.getStatus().getListeners()).extracting(l -> l.getName() + ":" + l.getAttachedRoutes())
                .containsExactly("http:1", "alt:0");
        Condition alt = condition(gw.getStatus().getListeners().get(1).getConditions(), "Accepted");
        assertThat(alt.getReason()).isEqualTo("PortUnavailable");
        assertThat(gw.getStatus().getListeners().get(0).getSupportedKinds())
                .extracting(k -> k.getGroup() + "/" + k.getKind()).containsExactly("gateway.networking.k8s.io/HTTPRoute");

        HTTPRoute written = client.resources(HTTPRoute.class).inNamespace("default").withName("app").get();
        assertThat(written.getStatus().getParents()).hasSize(2);
        assertThat(written.getStatus().getParents().get(0)).as("the other controller's entry, as it was").isEqualTo(theirs);
        RouteParentStatus ours = written.getStatus().getParents().get(1);
        assertThat(ours.getControllerName()).isEqualTo("gatehouse.dev/gateway-controller");
        assertThat(ours.getParentRef().getName()).isEqualTo("web");
        assertThat(condition(ours.getConditions(), "Accepted").getStatus()).isEqualTo("True");
        Condition refs = condition(ours.getConditions(), "ResolvedRefs");
        assertThat(refs.getStatus()).isEqualTo("False");
        assertThat(refs.getReason()).isEqualTo("BackendNotFound");
        assertThat(refs.getMessage()).contains("spec.rules[0].backendRefs[0]", "Service default/missing not found");

        // the same decisions again, a minute later: nothing to write
        GatewayStatusWriter later = new GatewayStatusWriter(client, Clock.offset(clock, java.time.Duration.ofMinutes(1)),
                "gatehouse.dev/gateway-controller", new SimpleMeterRegistry());
        state = cached();
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        GatewayStatusWriter.Pass second = later.write(state, translate(state).gatewayApi(),
                List.of("203.0.113.7", "lb.example.com"), 1, ProxyFleet.NONE, () -> asked.incrementAndGet() > 0);
        assertThat(asked).as("no permit asked for an object left as it is").hasValue(0);
        assertThat(second.written()).isZero();
        assertThat(second.unchanged()).isEqualTo(3);
        assertThat(statusWrites()).isEmpty();

        // the proxies applied it: Gateway and listener Programmed turn True, the route is left alone
        state = cached();
        GatewayStatusWriter.Pass third = later.write(state, translate(state).gatewayApi(),
                List.of("203.0.113.7", "lb.example.com"), 1, ONE_ACKED, StatusPace.UNPACED);
        assertThat(third.written()).isEqualTo(1);
        assertThat(statusWrites()).containsExactly("/apis/gateway.networking.k8s.io/v1/namespaces/default/gateways/web/status");
        gw = client.resources(Gateway.class).inNamespace("default").withName("web").get();
        programmed = condition(gw.getStatus().getConditions(), "Programmed");
        assertThat(programmed.getStatus()).isEqualTo("True");
        assertThat(programmed.getMessage()).isEqualTo("applied by every connected proxy");
        assertThat(programmed.getLastTransitionTime()).isEqualTo("2026-12-01T10:01:00Z");
        assertThat(condition(gw.getStatus().getConditions(), "Accepted").getLastTransitionTime())
                .as("unchanged conditions keep their time").isEqualTo("2026-12-01T10:00:00Z");
        assertThat(condition(gw.getStatus().getListeners().get(0).getConditions(), "Programmed").getStatus()).isEqualTo("True");

        // an edit elsewhere (version 2) the proxy has not applied yet, then the proxies all gone:
        // the Gateway's generation is still served, so neither rewrites it
        ProxyFleet behind = new ProxyFleet() {
            @Override
            public int connected() {
                return 2;
            }

            @Override
            public int ackedAtLeast(long version) {
                return version <= 1 ? 2 : 0;
            }

            @Override
            public Map<String, String> rejections(long version) {
                return Map.of();
            }
        };
        for (ProxyFleet fleet : List.of(behind, ProxyFleet.NONE)) {
            state = cached();
            GatewayStatusWriter.Pass next = later.write(state, translate(state).gatewayApi(),
                    List.of("203.0.113.7", "lb.example.com"), 2, fleet, StatusPace.UNPACED);
            assertThat(next.written()).as("Gateway rewritten for an edit it is not in").isZero();
        }
        assertThat(statusWrites()).as("no status write for an edit elsewhere or proxies gone").isEmpty();
        gw = client.resources(Gateway.class).inNamespace("default").withName("web").get();
        assertThat(condition(gw.getStatus().getConditions(), "Programmed").getStatus()).isEqualTo("True");

        // a new generation of the Gateway waits for the proxies again
        gw.getSpec().getListeners().get(0).setHostname("other.example.com");
        client.resource(gw).update();
        state = cached();
        later.write(state, translate(state).gatewayApi(), List.of("203.0.113.7", "lb.example.com"), 2, behind, StatusPace.UNPACED);
        gw = client.resources(Gateway.class).inNamespace("default").withName("web").get();
        programmed = condition(gw.getStatus().getConditions(), "Programmed");
        assertThat(programmed.getStatus()).isEqualTo("False");
        assertThat(programmed.getReason()).isEqualTo("Pending");
        assertThat(programmed.getMessage()).isEqualTo("not yet applied by every connected proxy");
    }

    @Test
    void writesOnlyWhatThePacePermitsAndTheNextPassWritesTheRest() throws Exception {
        for (HasMetadata o : ManifestReader.read("in.yaml", YAML).objects()) {
            client.resource(o).create();
        }
        statusWrites();
        GatewayStatusWriter writer = new GatewayStatusWriter(client, Clock.fixed(Instant.parse("2026-12-01T10:00:00Z"),
                ZoneOffset.UTC), "gatehouse.dev/gateway-controller", new SimpleMeterRegistry());
        java.util.concurrent.atomic.AtomicInteger permits = new java.util.concurrent.atomic.AtomicInteger(1);
        GatewayApiState state = cached();
        GatewayStatusWriter.Pass paced = writer.write(state, translate(state).gatewayApi(), List.of("203.0.113.7"), 1,
                ProxyFleet.NONE, () -> permits.getAndDecrement() > 0);
        assertThat(paced.written()).isEqualTo(1);
        assertThat(paced.stopped()).isTrue();
        assertThat(statusWrites()).as("one write: the budget allowed one").hasSize(1);

        state = cached();
        GatewayStatusWriter.Pass rest = writer.write(state, translate(state).gatewayApi(), List.of("203.0.113.7"), 1,
                ProxyFleet.NONE, StatusPace.UNPACED);
        assertThat(rest.written()).isEqualTo(2);
        assertThat(rest.unchanged()).as("the one written before is not written again").isEqualTo(1);
        assertThat(rest.stopped()).isFalse();
        assertThat(statusWrites()).hasSize(2);
    }
}
