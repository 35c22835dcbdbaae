package dev.gatehouse.api.v1alpha1;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** What the schemas refuse at apply time: enums, ranges, patterns, required fields, CEL rules. */
class CrdSchemaTest {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    static JsonNode crd(String plural) throws IOException {
        return YAML.readTree(Path.of(plural + ".gatehouse.dev-v1.yml").toFile());
    }

    static JsonNode spec(String plural) throws IOException {
        JsonNode version = crd(plural).at("/spec/versions/0");
        assertThat(version.at("/subresources/status").isObject()).as(plural + " has a status subresource").isTrue();
        return version.at("/schema/openAPIV3Schema/properties/spec");
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    void upstream() throws IOException {
        JsonNode spec = spec("upstreams");
        assertThat(texts(spec.at("/properties/algorithm/enum")))
                .containsExactlyInAnyOrder("RoundRobin", "LeastConnections", "ConsistentHash", "LeastLatency");
        assertThat(texts(spec.at("/properties/hashOn/properties/source/enum")))
                .containsExactlyInAnyOrder("ClientIP", "Header", "Cookie", "Consumer", "Path", "QueryParam");
        JsonNode weight = spec.at("/properties/targets/items/properties/weight");
        assertThat(weight.get("minimum").asInt()).isZero();
        assertThat(weight.get("maximum").asInt()).isEqualTo(65535);
        assertThat(weight.get("default").asInt()).isEqualTo(100);
        assertThat(texts(spec.at("/properties/targets/items/required"))).containsExactly("address");
        assertThat(spec.at("/properties/slowStart/pattern").asText()).isEqualTo(Schema.DURATION);
        assertThat(spec.at("/properties/healthChecks/properties/active/properties/interval/pattern").asText())
                .isEqualTo(Schema.DURATION);
        assertThat(spec.at("/properties/healthChecks/properties/passive/properties/maxEjectionPercent/maximum").asInt())
                .isEqualTo(100);
        assertThat(spec.at("/x-kubernetes-validations/0/rule").asText()).contains("ConsistentHash").contains("hashOn");
        assertThat(spec.at("/properties/serviceRef/properties/port/x-kubernetes-int-or-string").asBoolean()).isTrue();
    }

    @Test
    void gatewayService() throws IOException {
        JsonNode spec = spec("gatewayservices");
        assertThat(spec.at("/x-kubernetes-validations/0/rule").asText()).isEqualTo("has(self.upstreamRef) != has(self.url)");
        assertThat(spec.at("/x-kubernetes-validations/0/message").asText()).isEqualTo("exactly one of upstreamRef or url must be set");
        assertThat(texts(spec.at("/properties/protocol/enum"))).containsExactlyInAnyOrder("http", "https", "h2c", "grpc", "grpcs");
        assertThat(spec.at("/properties/retries/minimum").asInt()).isZero();
        assertThat(spec.at("/properties/retries/default").asInt()).isEqualTo(5);
        JsonNode budget = spec.at("/properties/retryBudget/properties");
        assertThat(budget.at("/percent/minimum").asInt()).isZero();
        assertThat(budget.at("/percent/maximum").asInt()).isEqualTo(100);
        assertThat(budget.at("/percent/default").asInt()).isEqualTo(20);
        assertThat(budget.at("/minConcurrency/minimum").asInt()).isZero();
        assertThat(budget.at("/minConcurrency/maximum").isMissingNode()).isTrue();
        assertThat(budget.at("/minConcurrency/default").asInt()).isEqualTo(3);
        for (String t : List.of("connect", "read", "write")) {
            assertThat(spec.at("/properties/timeouts/properties/" + t + "/pattern").asText()).isEqualTo(Schema.DURATION);
        }
        assertThat("http://httpbin.internal:80/base").matches(spec.at("/properties/url/pattern").asText());
        assertThat("ftp://x").doesNotMatch(spec.at("/properties/url/pattern").asText());
    }

    @Test
    void gatewayRoute() throws IOException {
        JsonNode spec = spec("gatewayroutes");
        assertThat(texts(spec.at("/required"))).containsExactly("serviceRef");
        assertThat(spec.at("/properties/stripPath/default").asBoolean()).isTrue();
        String host = spec.at("/properties/hosts/items/pattern").asText();
        assertThat("api.example.com").matches(host);
        assertThat("*.example.com").matches(host);
        assertThat("API.example.com").doesNotMatch(host);
        assertThat("a.*.com").doesNotMatch(host);
        String path = spec.at("/properties/paths/items/pattern").asText();
        assertThat("/profile").matches(path);
        assertThat("~/users/\\d+$").matches(path);
        assertThat("profile").doesNotMatch(path);
        assertThat(spec.at("/x-kubernetes-validations/0/rule").asText()).contains("self.tls").contains("self.hosts");
        assertThat(texts(spec.at("/properties/tls/required"))).containsExactly("secretName");
        String secret = spec.at("/properties/tls/properties/secretName/pattern").asText();
        assertThat("api-tls").matches(secret);
        assertThat("API_tls").doesNotMatch(secret);
        assertThat(spec.at("/properties/httpsRedirect/default").asBoolean()).isFalse();
        assertThat(spec.at("/properties/websocketIdleTimeout/pattern").asText()).isEqualTo(Schema.DURATION);
        assertThat("get").doesNotMatch(spec.at("/properties/methods/items/pattern").asText());
        assertThat(spec.at("/properties/maxBodySize/pattern").asText()).isEqualTo(Schema.BYTE_SIZE);
        assertThat(spec.at("/properties/allowEncodedSlashes/default").asBoolean()).isFalse();
        assertThat(spec.at("/properties/allowEncodedSlashes/type").asText()).isEqualTo("boolean");
    }

    @Test
    void consumer() throws IOException {
        JsonNode spec = spec("consumers");
        assertThat(spec.at("/x-kubernetes-validations/0/rule").asText()).isEqualTo("has(self.username) || has(self.customId)");
        assertThat(texts(spec.at("/properties/keyAuth/properties/secretRefs/items/required"))).containsExactly("name");
    }

    @Test
    void durationPatternAcceptsWhatTheTranslatorParses() {
        for (String ok : List.of("5s", "500ms", "1m30s", "1.5h", "0s")) {
            assertThat(ok).matches(Schema.DURATION);
        }
        for (String bad : List.of("5", "5 s", "-1s", "5d", "")) {
            assertThat(bad).doesNotMatch(Schema.DURATION);
        }
    }

    @Test
    void byteSizePatternAdmitsQuantitiesAndEmptyOnly() {
        for (String ok : List.of("10Mi", "512Ki", "1Gi", "2Ti", "1k", "1M", "3G", "1T", "1048576", "0", "")) {
            assertThat(ok).matches(Schema.BYTE_SIZE);
        }
        for (String bad : List.of("1.5Mi", "-1", "1K", "1MB", "10mi", "1e3", " 1", "Mi", "1Pi")) {
            assertThat(bad).doesNotMatch(Schema.BYTE_SIZE);
        }
    }

    @Test
    void printerColumnsMakeKubectlGetInformative() throws IOException {
        assertThat(columns("gatewayroutes")).contains("Paths=.spec.paths", "Service=.spec.serviceRef.name",
                "Accepted=.status.conditions[?(@.type==\"Accepted\")].status");
        assertThat(columns("upstreams")).contains("Algorithm=.spec.algorithm", "Ready=.status.readyTargets", "Targets=.status.targets");
        assertThat(columns("consumers")).contains("Username=.spec.username");
        assertThat(columns("gatewayservices")).contains("Upstream=.spec.upstreamRef.name", "URL=.spec.url");
        assertThat(columns("consumers")).contains("Keys=.status.keys");
        for (String plural : List.of("upstreams", "gatewayservices", "gatewayroutes", "consumers")) {
            assertThat(columns(plural)).as(plural).contains(
                    "Accepted=.status.conditions[?(@.type==\"Accepted\")].status",
                    "Programmed=.status.conditions[?(@.type==\"Programmed\")].status");
        }
    }

    static List<String> columns(String plural) throws IOException {
        List<String> out = new ArrayList<>();
        crd(plural).at("/spec/versions/0/additionalPrinterColumns")
                .forEach(c -> out.add(c.get("name").asText() + "=" + c.get("jsonPath").asText()));
        return out;
    }
}
