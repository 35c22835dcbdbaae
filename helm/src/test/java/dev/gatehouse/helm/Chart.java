package dev.gatehouse.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import dev.gatehouse.api.v1alpha1.Consumer;
import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.api.v1alpha1.GatewayService;
import dev.gatehouse.api.v1alpha1.Upstream;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The chart under test and the strict parse of what it renders. Paths are relative to the helm
 * module, where Surefire runs.
 */
final class Chart {
    static final Path DIR = Path.of("gatehouse");
    static final Path REPO = Path.of("..");
    static final String RELEASE = "gatehouse";
    static final String NAMESPACE = "gatehouse-system";
    static final Path NAMESPACED_VALUES = Path.of("src/test/resources/values-namespaced.yaml");

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    static {
        SERIALIZATION.registerKubernetesResource(Upstream.class);
        SERIALIZATION.registerKubernetesResource(GatewayService.class);
        SERIALIZATION.registerKubernetesResource(GatewayRoute.class);
        SERIALIZATION.registerKubernetesResource(Consumer.class);
        SERIALIZATION.registerKubernetesResource(dev.gatehouse.api.v1alpha1.KeyAuthFilter.class);
    }

    private Chart() {
    }

    static Helm helm() {
        FakeKubeApi.start();
        String kubeconfig = System.getenv("KUBECONFIG");
        if (kubeconfig == null || !Path.of(kubeconfig).toAbsolutePath().normalize()
                .equals(FakeKubeApi.KUBECONFIG.toAbsolutePath().normalize())) {
            throw new AssertionError("KUBECONFIG must be " + FakeKubeApi.KUBECONFIG.toAbsolutePath()
                    + " (Surefire sets it; from an IDE, set it in the run configuration), was " + kubeconfig);
        }
        return new Helm(DIR);
    }

    static TemplateCommand template() {
        return helm().template().withName(RELEASE).withNamespace(NAMESPACE);
    }

    /** Renders the chart with its default values. */
    static String renderDefault() {
        return template().call();
    }

    /** Renders the chart in namespaced mode with HPA, PDB and a LoadBalancer service. */
    static String renderNamespaced() {
        return template().withValuesFile(NAMESPACED_VALUES).call();
    }

    /** The YAML documents of a multi-document stream, empty ones left out. */
    static List<JsonNode> documents(String yaml) {
        try {
            List<JsonNode> docs = new ArrayList<>();
            try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(yaml)) {
                while (it.hasNext()) {
                    JsonNode doc = it.next();
                    if (doc != null && !doc.isNull() && !doc.isMissingNode() && !doc.isEmpty()) {
                        docs.add(doc);
                    }
                }
            }
            return docs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Parses every document into its typed Fabric8 (or Gatehouse) class, strictly: an unknown kind,
     * an unknown field or a field of the wrong type fails with the object and the field's path.
     * Prometheus Operator kinds, which have no typed class here, are checked against the operator's
     * CRD schema instead ({@link MonitoringCrds}) and returned as {@link GenericKubernetesResource}.
     */
    static List<HasMetadata> parse(String yaml) {
        List<HasMetadata> out = new ArrayList<>();
        for (JsonNode doc : documents(yaml)) {
            String what = doc.path("kind").asText() + " " + doc.at("/metadata/name").asText();
            Object parsed;
            try {
                parsed = SERIALIZATION.unmarshal(doc.toString());
            } catch (RuntimeException e) {
                Throwable root = e;
                while (root.getCause() != null) {
                    root = root.getCause();
                }
                throw new AssertionError(what + ": does not parse: " + root.getMessage(), e);
            }
            if (parsed instanceof GenericKubernetesResource monitoring
                    && doc.path("apiVersion").asText().startsWith(MonitoringCrds.GROUP + "/")) {
                List<String> problems = MonitoringCrds.problems(doc);
                if (!problems.isEmpty()) {
                    throw new AssertionError(what + ": refused by the Prometheus Operator's CRD schema: " + problems);
                }
                out.add(monitoring);
                continue;
            }
            if (!(parsed instanceof HasMetadata resource) || parsed instanceof GenericKubernetesResource) {
                throw new AssertionError(what + ": apiVersion/kind " + doc.path("apiVersion").asText()
                        + " has no typed model class (expected: a known kind)");
            }
            List<String> unknown = new ArrayList<>();
            StrictModel.collectAdditionalProperties(resource, what, unknown);
            StrictModel.collectDroppedFields(doc, tree(resource), "", unknown);
            if (!unknown.isEmpty()) {
                throw new AssertionError(what + ": fields the model does not know: " + unknown);
            }
            out.add(resource);
        }
        return out;
    }

    private static JsonNode tree(HasMetadata resource) {
        try {
            return JSON.readTree(SERIALIZATION.asJson(resource));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static <T extends HasMetadata> List<T> ofKind(List<HasMetadata> objects, Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    static <T extends HasMetadata> T one(List<HasMetadata> objects, Class<T> type, String name) {
        List<T> found = ofKind(objects, type).stream().filter(o -> name.equals(o.getMetadata().getName())).toList();
        if (found.size() != 1) {
            throw new AssertionError("expected one " + type.getSimpleName() + " " + name + ", found " + found.size()
                    + " among " + objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()).toList());
        }
        return found.get(0);
    }

    static Map<String, Object> yamlMap(String yaml) {
        try {
            return YAML.readValue(yaml, Map.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
