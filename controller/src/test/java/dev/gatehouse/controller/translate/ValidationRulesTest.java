package dev.gatehouse.controller.translate;

import dev.gatehouse.api.v1alpha1.Schema;
import dev.gatehouse.api.v1alpha1.UpstreamSpec;
import dev.gatehouse.config.Durations;
import dev.gatehouse.config.Problem;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.controller.files.ManifestReader;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Each validation rule has three readers: the CRD schema (crds, which depends on nothing of ours),
 * the translator and the proxy's {@code SnapshotValidator} (config). Where a rule cannot be one
 * shared constant this test keeps the copies in step: the schema's bounds are the config
 * module's constants, and every value the schema admits is accepted by the translator into a
 * snapshot the validator accepts, so a proxy never refuses what {@code kubectl apply} let in
 * (docs/decisions.md, "Validation rules: one source, or a test per pair").
 */
class ValidationRulesTest {
    private static Field field(Class<?> type, String name) throws NoSuchFieldException {
        return type.getField(name);
    }

    @Test
    void targetWeightBoundsAndDefaultAreTheSnapshots() throws Exception {
        Field weight = field(UpstreamSpec.Target.class, "weight");
        assertThat(weight.getAnnotation(Min.class).value()).isZero();
        assertThat(weight.getAnnotation(Max.class).value()).isEqualTo(Upstream.Target.MAX_WEIGHT);
        assertThat(weight.getAnnotation(Default.class).value()).isEqualTo(String.valueOf(Upstream.Target.DEFAULT_WEIGHT));
    }

    @Test
    void healthCheckBoundsAreTheSnapshots() throws Exception {
        Field percent = field(UpstreamSpec.PassiveCheck.class, "maxEjectionPercent");
        assertThat(percent.getAnnotation(Min.class).value()).isZero();
        assertThat(percent.getAnnotation(Max.class).value()).isEqualTo(Upstream.Passive.MAX_EJECTION_PERCENT);
        for (Field threshold : List.of(field(UpstreamSpec.ActiveCheck.class, "healthyThreshold"),
                field(UpstreamSpec.ActiveCheck.class, "unhealthyThreshold"),
                field(UpstreamSpec.PassiveCheck.class, "consecutiveFailures"))) {
            assertThat(threshold.getAnnotation(Min.class).value()).as(threshold.getName()).isEqualTo(1);
        }
        // and the validator's side of the same bounds, at the edges the schema admits
        assertThat(problems(upstream("weight: " + Upstream.Target.MAX_WEIGHT, "consecutiveFailures: 1, maxEjectionPercent: 100")))
                .isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"1ms", "500ms", "5s", "1m30s", "1.5h", "0s", "2h45m10s500ms", "5", "s", "-1s", "1d", "1 s", "", "1S", "1.s"})
    void aDurationTheSchemaAdmitsIsOneTheTranslatorParses(String text) {
        boolean schema = Pattern.compile(Schema.DURATION).matcher(text).matches();
        assertThat(Schema.DURATION).isEqualTo(Durations.PATTERN);
        if (schema) {
            assertThat(Durations.parseMillis(text)).isNotNegative();
        } else {
            assertThatThrownBy(() -> Durations.parseMillis(text)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"api.example.com", "*.example.com", "a", "a-b.c-d", "x1.y2", "API.example.com", "*.*.example.com",
            "a*.example.com", "-a.example.com", "a..b", "+.example.com"})
    void aHostTheSchemaAdmitsIsServed(String host) {
        boolean schema = Pattern.compile(Schema.HOST).matcher(host).matches();
        Translation t = translate(route("hosts: [\"" + host + "\"]"));
        if (schema) {
            assertThat(t.rejected()).as("translator").isEmpty();
            assertThat(t.snapshot().routes()).singleElement().satisfies(r -> assertThat(r.hosts()).containsExactly(host));
        }
        assertThat(t.snapshot().validate()).as("whatever the translator lets through, the proxy takes").isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/", "/a", "/a/b/", "~/users/\\\\d+$", "~^/x", "~(", "a", "=/exact", ""})
    void aPathTheSchemaAdmitsIsServed(String path) {
        boolean schema = Pattern.compile(Schema.ROUTE_PATH).matcher(path.replace("\\\\", "\\")).matches();
        Translation t = translate(route("paths: [\"" + path + "\"]"));
        if (schema && !path.equals("~(")) { // an invalid regex: the schema cannot say it; the translator refuses it
            assertThat(t.rejected()).as("translator").isEmpty();
        }
        assertThat(t.snapshot().validate()).as("whatever the translator lets through, the proxy takes").isEmpty();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 100, 65_535, 65_536, -1})
    void aWeightTheSchemaAdmitsIsServed(int weight) {
        boolean schema = weight >= 0 && weight <= Upstream.Target.MAX_WEIGHT;
        Translation t = translate(upstream("weight: " + weight, "consecutiveFailures: 5"));
        if (schema) {
            assertThat(t.rejected()).as("translator").isEmpty();
        }
        assertThat(t.snapshot().validate()).as("whatever the translator lets through, the proxy takes").isEmpty();
    }

    private static String upstream(String weight, String passive) {
        return """
                apiVersion: gatehouse.dev/v1alpha1
                kind: Upstream
                metadata: {name: u}
                spec:
                  targets: [{address: "127.0.0.1:9001", %s}]
                  healthChecks: {passive: {%s}}
                """.formatted(weight, passive);
    }

    private static String route(String field) {
        return """
                apiVersion: gatehouse.dev/v1alpha1
                kind: Upstream
                metadata: {name: u}
                spec: {targets: [{address: "127.0.0.1:9001"}]}
                ---
                apiVersion: gatehouse.dev/v1alpha1
                kind: GatewayService
                metadata: {name: s}
                spec: {upstreamRef: {name: u}}
                ---
                apiVersion: gatehouse.dev/v1alpha1
                kind: GatewayRoute
                metadata: {name: r}
                spec: {serviceRef: {name: s}, %s}
                """.formatted(field);
    }

    private static Translation translate(String yaml) {
        ManifestReader.Result read = ManifestReader.read("rules.yaml", yaml);
        assertThat(read.errors()).isEmpty();
        return Translator.translate(ManifestReader.state(read.objects()), IngressSelection.DEFAULT, new TlsSettings(null, Instant.now()));
    }

    private static List<Problem> problems(String yaml) {
        return translate(yaml).snapshot().validate();
    }
}
