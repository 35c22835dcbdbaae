package dev.gatehouse.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** values.schema.json describes every value of values.yaml, and Helm enforces it. */
class ValuesSchemaTest {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    static final ObjectMapper JSON = new ObjectMapper();

    static JsonNode schema() throws IOException {
        return JSON.readTree(Chart.DIR.resolve("values.schema.json").toFile());
    }

    @Test
    void isDraft07AndClosedAtTheTopLevel() throws IOException {
        JsonNode schema = schema();
        assertThat(schema.path("$schema").asText()).isEqualTo("http://json-schema.org/draft-07/schema#");
        assertThat(schema.path("additionalProperties").isBoolean()).isTrue();
        assertThat(schema.path("additionalProperties").asBoolean()).isFalse();
    }

    @Test
    void everyValueIsInTheSchemaAndEverySchemaPropertyHasADefault() throws IOException {
        JsonNode schema = schema();
        JsonNode values = YAML.readTree(Chart.DIR.resolve("values.yaml").toFile());
        List<String> problems = new ArrayList<>();
        compare(schema, schema, values, "", problems);
        assertThat(problems).as("values.yaml and values.schema.json disagree").isEmpty();
    }

    /** Walks values and schema together; free-form objects (maps, affinity) end the walk. */
    static void compare(JsonNode root, JsonNode schema, JsonNode value, String path, List<String> problems) {
        schema = resolve(root, schema);
        if (!value.isObject() || !schema.has("properties")) {
            return;
        }
        JsonNode properties = schema.get("properties");
        for (Iterator<String> it = value.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!properties.has(key)) {
                problems.add(path + key + ": in values.yaml, not in the schema");
                continue;
            }
            compare(root, properties.get(key), value.get(key), path + key + ".", problems);
        }
        for (Iterator<String> it = properties.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!value.has(key)) {
                problems.add(path + key + ": in the schema, no default in values.yaml");
            }
        }
        if (!schema.path("additionalProperties").isBoolean() || schema.path("additionalProperties").asBoolean()) {
            problems.add(path + ": object with properties but without additionalProperties: false");
        }
    }

    static JsonNode resolve(JsonNode root, JsonNode schema) {
        while (schema.has("$ref")) {
            schema = root.at(schema.get("$ref").asText().substring(1));
        }
        return schema;
    }

    @Test
    void helmRefusesAReplicaCountThatIsNotANumber() {
        assertThatThrownBy(() -> Chart.template().set("proxy.replicas", "two").call())
                .hasMessageContaining("proxy.replicas").hasMessageContaining("Invalid type");
    }

    @Test
    void helmRefusesAnUnknownValueAnywhere() {
        assertThatThrownBy(() -> Chart.template().set("replicas", 3).call())
                .hasMessageContaining("Additional property replicas is not allowed");
        assertThatThrownBy(() -> Chart.template().set("proxy.autoscaling.targetCPU", 50).call())
                .hasMessageContaining("Additional property targetCPU is not allowed");
    }

    @Test
    void helmRefusesABadEnumOrPattern() {
        assertThatThrownBy(() -> Chart.template().set("proxy.service.type", "Ingress").call())
                .hasMessageContaining("proxy.service.type");
        assertThatThrownBy(() -> Chart.template().set("image.pullPolicy", "Sometimes").call())
                .hasMessageContaining("image.pullPolicy");
        assertThatThrownBy(() -> Chart.template().set("watchNamespaces[0]", "Team_A").call())
                .hasMessageContaining("watchNamespaces");
    }
}
