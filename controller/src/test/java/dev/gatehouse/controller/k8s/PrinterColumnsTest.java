package dev.gatehouse.controller.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.PathNotFoundException;
import dev.gatehouse.api.v1alpha1.Consumer;
import dev.gatehouse.api.v1alpha1.ObjectRef;
import dev.gatehouse.api.v1alpha1.Upstream;
import dev.gatehouse.config.Snapshot;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static dev.gatehouse.controller.k8s.ControllerMockServerTest.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@code kubectl get} shows for the four kinds: the committed CRDs' additionalPrinterColumns
 * JSONPaths evaluated (as the API server does for kubectl's table) on the objects the real
 * controller wrote to the mock API server. A column whose field the controller never writes would
 * read {@code <none>} here as it does in a cluster.
 */
@ExtendWith(MockApiServerExtension.class)
class PrinterColumnsTest {
    static final Path CRDS = Path.of("../crds");
    static final Map<String, String> PLURALS = Map.of("Upstream", "upstreams", "GatewayService", "gatewayservices",
            "GatewayRoute", "gatewayroutes", "Consumer", "consumers");
    KubernetesMockServer server;
    KubernetesClient client;

    /** One proxy, connected and up to date with every version: Programmed=True. */
    static final ProxyFleet ONE_PROXY_UP_TO_DATE = new ProxyFleet() {
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

    @Test
    void kubectlGetShowsAcceptedProgrammedTargetsAndKeys() throws Exception {
        ControllerMockServerTest seed = new ControllerMockServerTest();
        seed.client = client;
        seed.applySeed();
        List<Snapshot> published = new CopyOnWriteArrayList<>();
        try (Controller controller = new Controller(client, ControllerMockServerTest.fast("a"), published::add,
                new SimpleMeterRegistry())) {
            controller.fleet(ONE_PROXY_UP_TO_DATE);
            controller.start();
            assertThat(await(() -> row("Upstream", "moesif"), r -> "True".equals(r.get("Programmed")), "moesif's row"))
                    .containsEntry("Algorithm", "RoundRobin").containsEntry("Accepted", "True")
                    .containsEntry("Ready", "2").containsEntry("Targets", "2");
            assertThat(await(() -> row("GatewayService", "moesif-service"),
                    r -> "True".equals(r.get("Programmed")), "moesif-service's row"))
                    .containsEntry("Upstream", "moesif").containsEntry("URL", "<none>").containsEntry("Accepted", "True");
            assertThat(await(() -> row("GatewayRoute", "profile"), r -> "True".equals(r.get("Programmed")), "profile's row"))
                    .containsEntry("Paths", "[\"/profile\"]").containsEntry("Service", "moesif-service")
                    .containsEntry("Accepted", "True").containsEntry("Hosts", "<none>");
            assertThat(await(() -> row("Consumer", "moesif"), r -> "True".equals(r.get("Programmed")), "moesif's row"))
                    .containsEntry("Username", "moesif").containsEntry("Keys", "1").containsEntry("Accepted", "True");

            // a second key for the consumer, a drained target for the upstream: the counts follow
            client.resource(new SecretBuilder().withNewMetadata().withName("moesif-key-2").withNamespace("default")
                    .addToLabels("gatehouse.dev/credential", "key-auth").endMetadata()
                    .addToData("key", "YW5vdGhlci1rZXk=").build()).create();
            client.resources(Consumer.class).inNamespace("default").withName("moesif").edit(c -> {
                c.getSpec().keyAuth.secretRefs = List.of(new ObjectRef("moesif-key"), new ObjectRef("moesif-key-2"));
                return c;
            });
            client.resources(Upstream.class).inNamespace("default").withName("moesif").edit(u -> {
                u.getSpec().targets.get(1).weight = 0;
                return u;
            });
            await(() -> row("Consumer", "moesif"), r -> "2".equals(r.get("Keys")), "two keys");
            assertThat(await(() -> row("Upstream", "moesif"), r -> "1".equals(r.get("Ready")), "one ready target"))
                    .containsEntry("Targets", "2").containsEntry("Programmed", "True");

            // two consumers claiming one key: both refused, neither key authenticates as them
            client.resources(Consumer.class).inNamespace("default").withName("moesif").edit(c -> {
                c.getSpec().keyAuth.secretRefs = List.of(new ObjectRef("moesif-key"));
                return c;
            });
            Consumer twin = new Consumer();
            twin.getMetadata().setName("twin");
            twin.getMetadata().setNamespace("default");
            twin.setSpec(new dev.gatehouse.api.v1alpha1.ConsumerSpec());
            twin.getSpec().username = "twin";
            twin.getSpec().keyAuth = new dev.gatehouse.api.v1alpha1.ConsumerSpec.KeyAuth();
            twin.getSpec().keyAuth.secretRefs = List.of(new ObjectRef("moesif-key"));
            client.resource(twin).create();
            assertThat(await(() -> row("Consumer", "twin"), r -> "False".equals(r.get("Accepted")), "twin refused"))
                    .containsEntry("Keys", "0").containsEntry("Programmed", "False");
            assertThat(await(() -> row("Consumer", "moesif"), r -> "False".equals(r.get("Accepted")), "moesif refused"))
                    .containsEntry("Keys", "0");

            // nothing changed but one route: the next pass writes its status alone (the counts are
            // compared as the conditions are)
            takeRequests();
            merge("GatewayRoute", "root", "{\"spec\":{\"priority\":3}}");
            await(() -> published.get(published.size() - 1), s -> s.routes().stream()
                    .anyMatch(r -> r.id().equals("default/root") && r.priority() == 3), "root's new priority published");
            await(() -> kind("GatewayRoute")
                    .withName("root").get(), r -> r.getMetadata().getGeneration().equals(observedGeneration(r)),
                    "root's status for its new generation");
            assertThat(takeRequests()).as("status writes after a change of root alone")
                    .filteredOn(r -> r.getMethod().equals("PUT") && r.getPath().endsWith("/status"))
                    .extracting(RecordedRequest::getPath).isNotEmpty().allMatch(p -> p.contains("/gatewayroutes/root/"));
        }
    }

    /** kubectl get's cells for one object: column name → text, {@code <none>} where the path finds nothing. */
    Map<String, String> row(String kind, String name) {
        GenericKubernetesResource o = kind(kind).withName(name).get();
        if (o == null) {
            return null;
        }
        String json = client.getKubernetesSerialization().asJson(o);
        Map<String, String> row = new LinkedHashMap<>();
        for (JsonNode column : columns(PLURALS.get(kind))) {
            row.put(column.get("name").asText(), cell(json, column.get("jsonPath").asText()));
        }
        return row;
    }

    static JsonNode columns(String plural) {
        try {
            JsonNode crd = new ObjectMapper(new YAMLFactory()).readTree(CRDS.resolve(plural + ".gatehouse.dev-v1.yml").toFile());
            return crd.at("/spec/versions/0/additionalPrinterColumns");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** A definite path shows its value (an array as JSON); a filter shows its matches joined by commas. */
    static String cell(String json, String path) {
        JsonPath compiled = JsonPath.compile("$" + path);
        Object value;
        try {
            value = compiled.read(json);
        } catch (PathNotFoundException e) {
            return "<none>";
        }
        if (value == null) {
            return "<none>";
        }
        if (value instanceof List<?> list) {
            if (compiled.isDefinite()) {
                return list.stream().map(v -> "\"" + v + "\"").collect(Collectors.joining(",", "[", "]"));
            }
            return list.isEmpty() ? "<none>" : list.stream().map(String::valueOf).collect(Collectors.joining(","));
        }
        return String.valueOf(value);
    }

    /** The kind's objects in default, read and written as plain JSON (no Gatehouse class in between). */
    io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource, io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
            io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> kind(String kind) {
        return client.genericKubernetesResources(new ResourceDefinitionContext.Builder().withGroup("gatehouse.dev")
                .withVersion("v1alpha1").withKind(kind).withPlural(PLURALS.get(kind)).withNamespaced(true).build()).inNamespace("default");
    }

    void merge(String kind, String name, String patch) {
        kind(kind).withName(name)
                .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
    }

    Long observedGeneration(GenericKubernetesResource o) {
        List<Object> generations = JsonPath.read(client.getKubernetesSerialization().asJson(o),
                "$.status.conditions[?(@.type==\"Programmed\")].observedGeneration");
        return generations.isEmpty() ? null : ((Number) generations.get(0)).longValue();
    }

    List<RecordedRequest> takeRequests() throws InterruptedException {
        List<RecordedRequest> out = new java.util.ArrayList<>();
        for (RecordedRequest r = server.takeRequest(50, TimeUnit.MILLISECONDS); r != null; r = server.takeRequest(50, TimeUnit.MILLISECONDS)) {
            out.add(r);
        }
        return out;
    }
}
