package dev.gatehouse.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.ObjectMeta;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks a rendered Prometheus Operator object (PodMonitor, PrometheusRule) against the
 * {@code openAPIV3Schema} of the operator's own CRD, kept in src/test/resources/prometheus-operator.
 * There is no Fabric8 model of these kinds at the Fabric8 version we use, and an API server prunes an
 * unknown field in silence ({@code intervall: 30s} would leave the default interval), so the check is
 * strict where the API server is lenient: an unknown field, a wrong type, a value outside an enum or
 * pattern, a missing required field, or a null is a problem. {@code metadata} is parsed by
 * Fabric8's {@link ObjectMeta}, strictly ({@link StrictModel}).
 */
final class MonitoringCrds {
    static final String GROUP = "monitoring.coreos.com";
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Path DIR = Path.of("src/test/resources/prometheus-operator");
    private static final Map<String, String> FILES = Map.of("PodMonitor", "podmonitors.yaml", "PrometheusRule", "prometheusrules.yaml");

    private MonitoringCrds() {
    }

    /** The problems of {@code doc}, each with its field path; empty when the API server would store it as rendered. */
    static List<String> problems(JsonNode doc) {
        String kind = doc.path("kind").asText();
        String file = FILES.get(kind);
        if (file == null) {
            return List.of("kind " + kind + " (expected: one of " + FILES.keySet() + ")");
        }
        String version = doc.path("apiVersion").asText().substring(GROUP.length() + 1);
        JsonNode schema = null;
        for (JsonNode v : crd(file).at("/spec/versions")) {
            if (v.path("name").asText().equals(version) && v.path("served").asBoolean()) {
                schema = v.at("/schema/openAPIV3Schema");
            }
        }
        if (schema == null) {
            return List.of("apiVersion " + doc.path("apiVersion").asText() + " is not served by the CRD in " + file);
        }
        List<String> problems = new ArrayList<>();
        for (Iterator<String> it = doc.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (field.equals("metadata")) {
                ObjectMeta meta = Chart.SERIALIZATION.unmarshal(doc.get("metadata").toString(), ObjectMeta.class);
                StrictModel.collectAdditionalProperties(meta, ".metadata", problems);
            } else {
                JsonNode property = schema.at("/properties/" + field);
                if (property.isMissingNode()) {
                    problems.add("." + field + ": unknown field");
                } else {
                    check(doc.get(field), property, "." + field, problems);
                }
            }
        }
        return problems;
    }

    private static JsonNode crd(String file) {
        try {
            return YAML.readTree(DIR.resolve(file).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void check(JsonNode value, JsonNode schema, String path, List<String> problems) {
        if (value.isNull()) {
            if (!schema.path("nullable").asBoolean()) {
                problems.add(path + ": null (expected: a value, or the field left out)");
            }
            return;
        }
        if (schema.path("x-kubernetes-int-or-string").asBoolean()) {
            if (!value.isIntegralNumber() && !value.isTextual()) {
                problems.add(path + ": " + value + " (expected: an integer or a string)");
            }
            return;
        }
        String type = schema.path("type").asText("");
        switch (type) {
            case "object" -> checkObject(value, schema, path, problems);
            case "array" -> {
                if (!value.isArray()) {
                    problems.add(path + ": " + value.getNodeType() + " (expected: array)");
                    return;
                }
                for (int i = 0; i < value.size(); i++) {
                    check(value.get(i), schema.path("items"), path + "[" + i + "]", problems);
                }
            }
            case "string" -> {
                if (!value.isTextual()) {
                    problems.add(path + ": " + value + " (expected: a string)");
                    return;
                }
                checkString(value.asText(), schema, path, problems);
            }
            case "integer" -> {
                if (!value.isIntegralNumber()) {
                    problems.add(path + ": " + value + " (expected: an integer)");
                } else if (schema.has("minimum") && value.asLong() < schema.get("minimum").asLong()) {
                    problems.add(path + ": " + value + " (expected: >= " + schema.get("minimum") + ")");
                }
            }
            case "number" -> {
                if (!value.isNumber()) {
                    problems.add(path + ": " + value + " (expected: a number)");
                }
            }
            case "boolean" -> {
                if (!value.isBoolean()) {
                    problems.add(path + ": " + value + " (expected: true or false)");
                }
            }
            default -> {
                // no type: anyOf of int/string is handled above; nothing else in these CRDs is untyped
            }
        }
    }

    private static void checkObject(JsonNode value, JsonNode schema, String path, List<String> problems) {
        if (!value.isObject()) {
            problems.add(path + ": " + value.getNodeType() + " (expected: object)");
            return;
        }
        JsonNode properties = schema.path("properties");
        JsonNode additional = schema.path("additionalProperties");
        boolean preserve = schema.path("x-kubernetes-preserve-unknown-fields").asBoolean();
        for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (properties.has(e.getKey())) {
                check(e.getValue(), properties.get(e.getKey()), path + "." + e.getKey(), problems);
            } else if (additional.isObject()) {
                check(e.getValue(), additional, path + "." + e.getKey(), problems);
            } else if (!preserve) {
                problems.add(path + "." + e.getKey() + ": unknown field");
            }
        }
        for (JsonNode required : schema.path("required")) {
            if (!value.has(required.asText())) {
                problems.add(path + "." + required.asText() + ": missing (required)");
            }
        }
    }

    private static void checkString(String s, JsonNode schema, String path, List<String> problems) {
        if (schema.has("enum")) {
            boolean listed = false;
            for (JsonNode allowed : schema.get("enum")) {
                listed |= allowed.asText().equals(s);
            }
            if (!listed) {
                problems.add(path + ": " + s + " (expected: one of " + schema.get("enum") + ")");
            }
        }
        if (schema.has("pattern") && !Pattern.compile(schema.get("pattern").asText()).matcher(s).find()) {
            problems.add(path + ": " + s + " (expected: to match " + schema.get("pattern").asText() + ")");
        }
        if (schema.has("minLength") && s.length() < schema.get("minLength").asInt()) {
            problems.add(path + ": empty (expected: at least " + schema.get("minLength") + " characters)");
        }
    }
}
