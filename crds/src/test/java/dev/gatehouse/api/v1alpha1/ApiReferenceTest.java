package dev.gatehouse.api.v1alpha1;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code docs/api-reference.md} is generated from the CRD schemas: every field with its type,
 * default, constraints and description. A test fails when it drifts; regenerate with
 * {@code ./mvnw -B -pl crds verify -Dgatehouse.regenerate=true}.
 */
class ApiReferenceTest {
    static final Path DOC = Path.of("../docs/api-reference.md");
    static final List<String> KINDS = List.of("upstreams", "gatewayservices", "gatewayroutes", "consumers",
            "keyauthfilters");

    @Test
    void apiReferenceMatchesTheSchemas() throws IOException {
        String generated = generate();
        if (Boolean.getBoolean("gatehouse.regenerate")) {
            Files.writeString(DOC, generated);
        }
        assertThat(DOC).as("docs/api-reference.md is missing; run ./mvnw -B -pl crds verify -Dgatehouse.regenerate=true").exists();
        assertThat(Files.readString(DOC)).as("docs/api-reference.md differs from the CRD schemas; "
                + "run ./mvnw -B -pl crds verify -Dgatehouse.regenerate=true and commit it").isEqualTo(generated);
    }

    static String generate() throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("# API reference: gatehouse.dev/v1alpha1\n\n");
        sb.append("Generated from the CRD schemas (`crds/*.yml`, themselves generated from `crds/src/main/java`) by\n");
        sb.append("`ApiReferenceTest`; do not edit by hand. All kinds are namespaced and refuse the values below at apply\n");
        sb.append("time; the first four have a `status` subresource with `conditions` (see [status.md](status.md)); a\n");
        sb.append("KeyAuthFilter has none: what is wrong with it shows on the HTTPRoutes that use it\n");
        sb.append("([gateway-api.md](gateway-api.md#extensions)).\n\n");
        for (String plural : KINDS) {
            JsonNode crd = CrdSchemaTest.crd(plural);
            String kind = crd.at("/spec/names/kind").asText();
            JsonNode version = crd.at("/spec/versions/0");
            sb.append("## ").append(kind).append("\n\n");
            sb.append("`kubectl get ").append(plural);
            crd.at("/spec/names/shortNames").forEach(n -> sb.append("` / `kubectl get ").append(n.asText()));
            sb.append("` shows: ");
            List<String> cols = new ArrayList<>();
            version.at("/additionalPrinterColumns").forEach(c -> cols.add(c.get("name").asText()));
            sb.append(String.join(", ", cols)).append(".\n\n");
            JsonNode spec = version.at("/schema/openAPIV3Schema/properties/spec");
            rules(sb, spec, "spec");
            sb.append("| field | type | default | constraints | description |\n|---|---|---|---|---|\n");
            fields(sb, spec, "spec");
            JsonNode status = version.at("/schema/openAPIV3Schema/properties/status");
            fields(sb, status, "status");
            sb.append('\n');
        }
        return sb.toString();
    }

    private static void fields(StringBuilder sb, JsonNode node, String path) {
        JsonNode props = node.path("properties");
        List<String> required = new ArrayList<>();
        node.path("required").forEach(r -> required.add(r.asText()));
        for (Iterator<Map.Entry<String, JsonNode>> it = props.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String p = path + "." + e.getKey();
            JsonNode f = e.getValue();
            sb.append("| `").append(p).append("`").append(required.contains(e.getKey()) ? " (required)" : "")
                    .append(" | ").append(type(f)).append(" | ")
                    .append(f.has("default") ? "`" + f.get("default").asText() + "`" : "")
                    .append(" | ").append(constraints(f)).append(" | ")
                    .append(cell(f.path("description").asText(""))).append(" |\n");
            JsonNode inner = f.has("items") ? f.get("items") : f;
            if (inner.has("properties") && !p.equals("status.conditions")) {
                rulesInline(sb, inner, p + (f.has("items") ? "[]" : ""));
                fields(sb, inner, p + (f.has("items") ? "[]" : ""));
            }
        }
    }

    private static String type(JsonNode f) {
        if (f.path("x-kubernetes-int-or-string").asBoolean()) {
            return "integer or string";
        }
        String t = f.path("type").asText("");
        if (t.equals("array")) {
            return "array of " + type(f.path("items"));
        }
        if (t.equals("object") && f.has("additionalProperties")) {
            return "map of " + type(f.get("additionalProperties"));
        }
        return t;
    }

    private static String constraints(JsonNode f) {
        List<String> c = new ArrayList<>();
        JsonNode items = f.has("items") ? f.get("items") : f;
        if (items.has("enum")) {
            List<String> values = new ArrayList<>();
            items.get("enum").forEach(v -> values.add("`" + v.asText() + "`"));
            c.add("one of " + String.join(", ", values));
        }
        if (items.has("minimum")) {
            c.add(">= " + number(items.get("minimum")));
        }
        if (items.has("maximum")) {
            c.add("<= " + number(items.get("maximum")));
        }
        if (items.has("pattern")) {
            c.add("matches `" + items.get("pattern").asText().replace("|", "\\|") + "`");
        }
        return String.join("; ", c);
    }

    private static String number(JsonNode n) {
        double d = n.asDouble();
        return d == Math.rint(d) ? Long.toString((long) d) : n.asText();
    }

    private static void rules(StringBuilder sb, JsonNode node, String path) {
        node.path("x-kubernetes-validations").forEach(r -> sb.append("- `").append(path).append("`: ")
                .append(r.path("message").asText()).append(" (CEL: `").append(r.path("rule").asText()).append("`)\n"));
        if (node.has("x-kubernetes-validations")) {
            sb.append('\n');
        }
    }

    private static void rulesInline(StringBuilder sb, JsonNode node, String path) {
        node.path("x-kubernetes-validations").forEach(r -> sb.append("| `").append(path).append("` | rule | | CEL `")
                .append(r.path("rule").asText().replace("|", "\\|")).append("` | ").append(cell(r.path("message").asText())).append(" |\n"));
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }
}
