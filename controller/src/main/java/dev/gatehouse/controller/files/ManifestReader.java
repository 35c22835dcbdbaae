package dev.gatehouse.controller.files;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.gatehouse.api.v1alpha1.Consumer;
import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.api.v1alpha1.GatewayService;
import dev.gatehouse.api.v1alpha1.Upstream;
import dev.gatehouse.controller.translate.ClusterState;
import dev.gatehouse.controller.translate.GatewayApiState;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ReferenceGrant;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressClass;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Reads Kubernetes-style YAML (several documents per file, {@code ---} separated) into the
 * objects the translator understands: the four Gatehouse kinds, Secrets (with {@code data} or
 * {@code stringData}), Services, EndpointSlices, Ingresses and IngressClasses (networking.k8s.io/v1),
 * Namespaces, and the Gateway API's GatewayClass, Gateway, HTTPRoute and ReferenceGrant. Other kinds are skipped. A document that
 * cannot be read is reported with its kind, name, field and what was expected, and the rest of
 * the file is still read.
 */
public final class ManifestReader {
    private static final ObjectMapper YAML = YAMLMapper.builder(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private static final String NOT_SHOWN = "; the value is not shown, a Secret's values never are";

    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
            "gatehouse.dev/v1alpha1/Upstream", Upstream.class,
            "gatehouse.dev/v1alpha1/GatewayService", GatewayService.class,
            "gatehouse.dev/v1alpha1/GatewayRoute", GatewayRoute.class,
            "gatehouse.dev/v1alpha1/Consumer", Consumer.class,
            "v1/Secret", Secret.class,
            "v1/Service", Service.class,
            "discovery.k8s.io/v1/EndpointSlice", EndpointSlice.class,
            "networking.k8s.io/v1/Ingress", Ingress.class,
            "networking.k8s.io/v1/IngressClass", IngressClass.class,
            "v1/Namespace", io.fabric8.kubernetes.api.model.Namespace.class);

    /** The Gateway API kinds (gateway.networking.k8s.io/v1), read beside {@link #KINDS}. */
    private static final Map<String, Class<? extends HasMetadata>> GATEWAY_KINDS = Map.of(
            "gateway.networking.k8s.io/v1/GatewayClass", GatewayClass.class,
            "gateway.networking.k8s.io/v1/Gateway", Gateway.class,
            "gateway.networking.k8s.io/v1/HTTPRoute", HTTPRoute.class,
            "gateway.networking.k8s.io/v1/ReferenceGrant", ReferenceGrant.class,
            "gateway.networking.k8s.io/v1beta1/ReferenceGrant", ReferenceGrant.class,
            "gatehouse.dev/v1alpha1/KeyAuthFilter", dev.gatehouse.api.v1alpha1.KeyAuthFilter.class);

    /**
     * @param file     the file name, used in errors
     * @param objects  every object read, in file order
     * @param errors   every document that could not be read
     * @param skipped  {@code Kind/namespace/name} of documents of kinds Gatehouse does not read
     */
    public record Result(String file, List<HasMetadata> objects, List<FileError> errors, List<String> skipped) {
        /** Names the objects and never prints them: a Secret's data is an API key. */
        @Override
        public String toString() {
            return "Result[file=" + file + ", objects=" + names(objects) + ", errors=" + errors + ", skipped=" + skipped + "]";
        }
    }

    /** {@code Kind/namespace/name} of each object, in order. */
    static List<String> names(List<HasMetadata> objects) {
        return objects.stream().map(o -> o.getKind() + "/" + dev.gatehouse.controller.translate.Sources.key(o)).toList();
    }

    /** One unreadable document: {@code file: Kind/namespace/name: field: message}. */
    public record FileError(String file, String object, String field, String message) {
        @Override
        public String toString() {
            return file + ": " + object + ": " + field + ": " + message;
        }
    }

    private ManifestReader() {
    }

    public static Result read(String file, String yaml) {
        List<HasMetadata> objects = new ArrayList<>();
        List<FileError> errors = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        List<JsonNode> docs;
        try {
            docs = YAML.readerFor(JsonNode.class).<JsonNode>readValues(yaml).readAll();
        } catch (IOException e) {
            String where = e instanceof JsonProcessingException j && j.getLocation() != null
                    ? "line " + j.getLocation().getLineNr() : "file";
            errors.add(new FileError(file, "(file)", where, "not valid YAML: " + firstLine(e.getMessage())));
            return new Result(file, objects, errors, skipped);
        }
        int index = 0;
        for (JsonNode doc : docs) {
            index++;
            if (doc == null || doc.isNull() || doc.isMissingNode() || (doc.isObject() && doc.isEmpty())) {
                continue;
            }
            String apiVersion = doc.path("apiVersion").asText("");
            String kind = doc.path("kind").asText("");
            String name = doc.path("metadata").path("name").asText("");
            String namespace = doc.path("metadata").path("namespace").asText("default");
            String object = (kind.isEmpty() ? "(document " + index + ")" : kind) + "/" + namespace + "/" + name;
            if (apiVersion.isEmpty() || kind.isEmpty()) {
                errors.add(new FileError(file, object, apiVersion.isEmpty() ? "apiVersion" : "kind",
                        "missing (expected: a Kubernetes object with apiVersion and kind)"));
                continue;
            }
            Class<? extends HasMetadata> type = KINDS.getOrDefault(apiVersion + "/" + kind,
                    GATEWAY_KINDS.get(apiVersion + "/" + kind));
            if (type == null) {
                if (apiVersion.startsWith("gatehouse.dev/")) {
                    errors.add(new FileError(file, object, "kind", "\"" + apiVersion + " " + kind
                            + "\" is not a Gatehouse kind (expected: gatehouse.dev/v1alpha1 Upstream, GatewayService, GatewayRoute, Consumer or KeyAuthFilter)"));
                } else {
                    skipped.add(object);
                }
                continue;
            }
            if (name.isEmpty()) {
                errors.add(new FileError(file, object, "metadata.name", "missing (expected: a name)"));
                continue;
            }
            boolean secret = type == Secret.class;
            try {
                objects.add(YAML.treeToValue(doc, type));
            } catch (JsonProcessingException e) {
                errors.add(new FileError(file, object, path(e), secret ? describeWithoutValue(e) : describe(e)));
            } catch (IllegalArgumentException e) {
                errors.add(new FileError(file, object, "(document)", secret ? "unreadable" + NOT_SHOWN : firstLine(e.getMessage())));
            }
        }
        return new Result(file, objects, errors, skipped);
    }

    /** The kinds {@link #state} sorts objects into, in one pass. */
    private static final List<Class<? extends HasMetadata>> STATE_KINDS = List.of(Upstream.class, GatewayService.class,
            GatewayRoute.class, Consumer.class, Service.class, EndpointSlice.class, Secret.class, Ingress.class, IngressClass.class,
            GatewayClass.class, Gateway.class, HTTPRoute.class, ReferenceGrant.class, io.fabric8.kubernetes.api.model.Namespace.class,
            dev.gatehouse.api.v1alpha1.KeyAuthFilter.class);

    /**
     * The cluster state of every object read, whatever file it came from. One pass over the objects
     * (local mode builds it on every reload, over tens of thousands of objects at scale).
     */
    public static ClusterState state(Collection<HasMetadata> objects) {
        Map<Class<?>, List<HasMetadata>> byKind = new HashMap<>();
        for (Class<?> k : STATE_KINDS) {
            byKind.put(k, new ArrayList<>());
        }
        for (HasMetadata o : objects) {
            List<HasMetadata> bucket = byKind.get(o.getClass());
            if (bucket == null) { // a subclass of a kind read: sorted as that kind
                bucket = STATE_KINDS.stream().filter(k -> k.isInstance(o)).findFirst().map(byKind::get).orElse(null);
            }
            if (bucket != null) {
                bucket.add(o);
            }
        }
        return new ClusterState(
                of(byKind, Upstream.class), of(byKind, GatewayService.class), of(byKind, GatewayRoute.class),
                of(byKind, Consumer.class), of(byKind, Service.class), of(byKind, EndpointSlice.class),
                of(byKind, Secret.class)).withIngress(of(byKind, Ingress.class), of(byKind, IngressClass.class))
                .withGatewayApi(new GatewayApiState(of(byKind, GatewayClass.class), of(byKind, Gateway.class),
                        of(byKind, HTTPRoute.class), of(byKind, ReferenceGrant.class),
                        of(byKind, io.fabric8.kubernetes.api.model.Namespace.class),
                        of(byKind, dev.gatehouse.api.v1alpha1.KeyAuthFilter.class)));
    }

    @SuppressWarnings("unchecked")
    private static <T> List<T> of(Map<Class<?>, List<HasMetadata>> byKind, Class<T> type) {
        return (List<T>) List.copyOf(byKind.get(type));
    }

    private static String path(JsonProcessingException e) {
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            StringBuilder sb = new StringBuilder();
            for (JsonMappingException.Reference r : m.getPath()) {
                if (r.getFieldName() != null) {
                    if (!sb.isEmpty()) {
                        sb.append('.');
                    }
                    sb.append(r.getFieldName());
                } else if (r.getIndex() >= 0) {
                    sb.append('[').append(r.getIndex()).append(']');
                }
            }
            return sb.toString();
        }
        return "(document)";
    }

    private static String describe(JsonProcessingException e) {
        if (e instanceof UnrecognizedPropertyException u) {
            return "unknown field \"" + u.getPropertyName() + "\" (expected one of: "
                    + u.getKnownPropertyIds().stream().map(Object::toString).sorted().collect(Collectors.joining(", ")) + ")";
        }
        if (e instanceof InvalidFormatException f) {
            Class<?> target = f.getTargetType();
            String expected = target != null && target.isEnum()
                    ? "one of " + Arrays.stream(target.getEnumConstants()).map(Object::toString).collect(Collectors.joining(", "))
                    : target == null ? "another value" : "a " + target.getSimpleName().toLowerCase(java.util.Locale.ROOT);
            return "\"" + f.getValue() + "\" (expected: " + expected + ")";
        }
        return firstLine(e.getOriginalMessage());
    }

    /**
     * An error in a Secret never quotes a value: Jackson's messages do ("from String value
     * ('my-secret-key')" for {@code stringData: my-secret-key}), and that value may be the key.
     * Field names are kept; they are not secret.
     */
    private static String describeWithoutValue(JsonProcessingException e) {
        if (e instanceof UnrecognizedPropertyException) {
            return describe(e);
        }
        Class<?> target = e instanceof MismatchedInputException m ? m.getTargetType() : null;
        String expected = target == null ? "another value"
                : Map.class.isAssignableFrom(target) ? "a map, e.g. {key: ...}"
                : "a " + target.getSimpleName().toLowerCase(java.util.Locale.ROOT);
        return "wrong type (expected: " + expected + ")" + NOT_SHOWN;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
