package dev.gatehouse.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The observability kit of the chart (metrics.podMonitor, metrics.prometheusRule,
 * metrics.dashboard): off by default, each on by its own value, each object accepted by its schema,
 * the alerts those of docs/operations.md's table, the dashboard the file a user can import by hand.
 * That every metric the alerts and the dashboard query exists in a real scrape is checked in e2e
 * (MetricsKitE2ETest).
 */
class ObservabilityKitChartTest {
    static final Path OPERATIONS = Chart.REPO.resolve("docs/operations.md");
    static final Path DASHBOARD = Chart.DIR.resolve("dashboards/gatehouse.json");
    static final ObjectMapper JSON = new ObjectMapper();

    static List<GenericKubernetesResource> monitoring(List<HasMetadata> objects, String kind) {
        return Chart.ofKind(objects, GenericKubernetesResource.class).stream().filter(o -> o.getKind().equals(kind)).toList();
    }

    static JsonNode tree(Object o) {
        return JSON.valueToTree(o);
    }

    @Test
    void nothingOfTheKitRendersByDefault() {
        List<HasMetadata> defaults = Chart.parse(Chart.renderDefault());
        assertThat(Chart.ofKind(defaults, GenericKubernetesResource.class)).isEmpty();
        assertThat(Chart.ofKind(defaults, ConfigMap.class)).isEmpty();
    }

    @Test
    void eachValueTurnsOnItsObjectAlone() {
        assertThat(kinds(Chart.template().set("metrics.podMonitor.enabled", true).call())).containsExactly("PodMonitor");
        assertThat(kinds(Chart.template().set("metrics.prometheusRule.enabled", true).call())).containsExactly("PrometheusRule");
        assertThat(kinds(Chart.template().set("metrics.dashboard.enabled", true).call())).containsExactly("ConfigMap");
    }

    private static List<String> kinds(String yaml) {
        List<HasMetadata> defaults = Chart.parse(Chart.renderDefault());
        Set<String> before = new HashSet<>();
        defaults.forEach(o -> before.add(o.getKind() + "/" + o.getMetadata().getName()));
        return Chart.parse(yaml).stream().filter(o -> !before.contains(o.getKind() + "/" + o.getMetadata().getName()))
                .map(HasMetadata::getKind).toList();
    }

    @Test
    void thePodMonitorScrapesTheStatusPortOfEveryControllerAndProxyPod() {
        List<HasMetadata> objects = Chart.parse(Chart.template().set("metrics.podMonitor.enabled", true)
                .set("metrics.podMonitor.labels.release", "kube-prometheus-stack")
                .set("metrics.podMonitor.interval", "15s").set("metrics.podMonitor.scrapeTimeout", "5s")
                .set("metrics.path", "/prometheus").call());
        JsonNode pm = tree(monitoring(objects, "PodMonitor").get(0));
        assertThat(pm.at("/metadata/name").asText()).isEqualTo("gatehouse");
        assertThat(pm.at("/metadata/namespace").asText()).isEqualTo(Chart.NAMESPACE);
        assertThat(pm.at("/metadata/labels/release").asText()).isEqualTo("kube-prometheus-stack");
        assertThat(pm.at("/metadata/labels/app.kubernetes.io~1part-of").asText()).isEqualTo("gatehouse");
        JsonNode endpoints = pm.at("/spec/podMetricsEndpoints");
        assertThat(endpoints).hasSize(1);
        assertThat(endpoints.get(0).path("port").asText()).isEqualTo("status");
        assertThat(endpoints.get(0).path("path").asText()).isEqualTo("/prometheus");
        assertThat(endpoints.get(0).path("interval").asText()).isEqualTo("15s");
        assertThat(endpoints.get(0).path("scrapeTimeout").asText()).isEqualTo("5s");

        List<Deployment> deployments = Chart.ofKind(objects, Deployment.class);
        assertThat(deployments).hasSize(2);
        for (Deployment d : deployments) {
            Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
            assertThat(selects(pm.at("/spec/selector"), podLabels)).as(d.getMetadata().getName() + "'s pods are scraped").isTrue();
            assertThat(RenderedObjectsTest.only(d).getPorts()).as(d.getMetadata().getName() + " names its status port")
                    .anySatisfy(p -> {
                        assertThat(p.getName()).isEqualTo("status");
                        assertThat(p.getContainerPort()).isEqualTo(8100);
                    });
        }
        Map<String, String> otherRelease = new LinkedHashMap<>(deployments.get(0).getSpec().getTemplate().getMetadata().getLabels());
        otherRelease.put("app.kubernetes.io/instance", "other");
        assertThat(selects(pm.at("/spec/selector"), otherRelease)).as("another release's pods are not").isFalse();
        Map<String, String> otherComponent = new LinkedHashMap<>(deployments.get(0).getSpec().getTemplate().getMetadata().getLabels());
        otherComponent.put("app.kubernetes.io/component", "backend");
        assertThat(selects(pm.at("/spec/selector"), otherComponent)).isFalse();
    }

    @Test
    void theCrdCheckFindsWhatTheApiServerWouldPruneOrRefuse() {
        JsonNode pm = Chart.documents(Chart.template().set("metrics.podMonitor.enabled", true).call()).stream()
                .filter(d -> d.path("kind").asText().equals("PodMonitor")).findFirst().orElseThrow();
        assertThat(MonitoringCrds.problems(pm)).isEmpty();
        var endpoint = (com.fasterxml.jackson.databind.node.ObjectNode) pm.at("/spec/podMetricsEndpoints/0");
        endpoint.put("intervall", "30s");
        endpoint.put("scrapeTimeout", "10 seconds");
        endpoint.put("port", 8100);
        endpoint.putNull("path");
        ((com.fasterxml.jackson.databind.node.ObjectNode) pm.path("metadata")).put("lables", "x");
        assertThat(MonitoringCrds.problems(pm)).containsExactlyInAnyOrder(
                ".spec.podMetricsEndpoints[0].intervall: unknown field",
                ".spec.podMetricsEndpoints[0].scrapeTimeout: 10 seconds (expected: to match ^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$)",
                ".spec.podMetricsEndpoints[0].port: 8100 (expected: a string)",
                ".spec.podMetricsEndpoints[0].path: null (expected: a value, or the field left out)",
                ".metadata.lables");
    }

    /** A LabelSelector's matchLabels and In/NotIn/Exists expressions, as the API server evaluates them. */
    static boolean selects(JsonNode selector, Map<String, String> labels) {
        for (var it = selector.path("matchLabels").fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().asText().equals(labels.get(e.getKey()))) {
                return false;
            }
        }
        for (JsonNode expr : selector.path("matchExpressions")) {
            String value = labels.get(expr.path("key").asText());
            Set<String> values = new HashSet<>();
            expr.path("values").forEach(v -> values.add(v.asText()));
            boolean ok = switch (expr.path("operator").asText()) {
                case "In" -> value != null && values.contains(value);
                case "NotIn" -> value == null || !values.contains(value);
                case "Exists" -> value != null;
                case "DoesNotExist" -> value == null;
                default -> throw new AssertionError("operator " + expr.path("operator"));
            };
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** One row of the table "Alerts to start from" in docs/operations.md. */
    record DocAlert(String name, String expression, String forDuration) {
    }

    static List<DocAlert> documentedAlerts() throws IOException {
        String doc = Files.readString(OPERATIONS);
        int start = doc.indexOf("### Alerts to start from");
        assertThat(start).as("docs/operations.md has the section Alerts to start from").isPositive();
        List<DocAlert> alerts = new ArrayList<>();
        for (String line : doc.substring(start).split("\n")) {
            if (line.startsWith("| Gatehouse")) {
                String[] cells = line.split("(?<!\\\\)\\|");
                alerts.add(new DocAlert(cells[1].trim(), cells[2].trim(), cells[3].trim()));
            } else if (!alerts.isEmpty() && !line.startsWith("|")) {
                break;
            }
        }
        return alerts;
    }

    static Map<String, JsonNode> renderedAlerts(Object... sets) {
        var template = Chart.template().set("metrics.prometheusRule.enabled", true);
        for (int i = 0; i < sets.length; i += 2) {
            template = template.set((String) sets[i], sets[i + 1]);
        }
        JsonNode rule = tree(monitoring(Chart.parse(template.call()), "PrometheusRule").get(0));
        Map<String, JsonNode> alerts = new LinkedHashMap<>();
        for (JsonNode group : rule.at("/spec/groups")) {
            for (JsonNode r : group.path("rules")) {
                assertThat(alerts.put(r.path("alert").asText(), r)).as("alert names are unique").isNull();
            }
        }
        return alerts;
    }

    /** Whitespace collapsed, and the namespace the chart's rules add to each grouping taken out again. */
    static String comparable(String promql) {
        return promql.replaceAll("\\s+", " ").replace(" by (namespace) (", "(").replace("(namespace, ", "(").trim();
    }

    @Test
    void theAlertsAreThoseOfTheDocsTableWithTheirExpressionsAndDurations() throws IOException {
        List<DocAlert> documented = documentedAlerts();
        assertThat(documented).hasSizeGreaterThanOrEqualTo(13);
        Map<String, JsonNode> rendered = renderedAlerts();
        assertThat(rendered.keySet()).containsExactlyElementsOf(documented.stream().map(DocAlert::name).toList());
        Pattern code = Pattern.compile("`([^`]+)`");
        for (DocAlert doc : documented) {
            JsonNode rule = rendered.get(doc.name());
            String expr = comparable(rule.path("expr").asText());
            assertThat(rule.path("for").asText()).as(doc.name() + " for").isEqualTo(doc.forDuration());
            Matcher m = code.matcher(doc.expression());
            int snippets = 0;
            while (m.find()) {
                snippets++;
                assertThat(expr).as(doc.name() + ": the docs' `" + m.group(1) + "`").contains(comparable(m.group(1)));
            }
            if (snippets == 0) {
                assertThat(doc.expression()).as(doc.name() + ": a table row without code says what the objective is")
                        .contains("your objective");
            }
        }
    }

    @Test
    void everyAlertSaysWhatToDoAndLinksItsSection() throws IOException {
        String doc = Files.readString(OPERATIONS);
        Set<String> anchors = new HashSet<>();
        for (String line : doc.split("\n")) {
            if (line.startsWith("#")) {
                anchors.add(line.replaceFirst("^#+ ", "").toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9 -]", "").replace(' ', '-'));
            }
        }
        Map<String, JsonNode> plain = renderedAlerts();
        Map<String, JsonNode> linked = renderedAlerts("metrics.prometheusRule.runbookBaseURL", "https://docs.example.com/gatehouse/docs/");
        Pattern section = Pattern.compile("See docs/operations\\.md#([a-z0-9-]+)\\.$");
        for (var e : plain.entrySet()) {
            String name = e.getKey();
            JsonNode rule = e.getValue();
            assertThat(rule.at("/labels/severity").asText()).as(name).isIn("critical", "warning", "info");
            assertThat(rule.at("/annotations/summary").asText()).as(name).isNotBlank().doesNotContain("`");
            String description = rule.at("/annotations/description").asText();
            assertThat(description).as(name + " names a Prometheus label or value, untouched by Helm").containsPattern("\\{\\{ \\$(labels\\.[a-z]+|value)");
            Matcher m = section.matcher(description);
            assertThat(m.find()).as(name + ": the description ends with its section: " + description).isTrue();
            assertThat(anchors).as(name + ": a section of docs/operations.md").contains(m.group(1));
            assertThat(rule.path("annotations").has("runbook_url")).as(name + ": no runbook_url without runbookBaseURL").isFalse();
            assertThat(linked.get(name).at("/annotations/runbook_url").asText())
                    .isEqualTo("https://docs.example.com/gatehouse/docs/operations.md#" + m.group(1));
        }
    }

    @Test
    void theLatencyObjectiveAndTheAlertLabelsAreValues() {
        assertThat(renderedAlerts().get("GatehouseLatencyHigh").path("expr").asText()).endsWith("> 1");
        Map<String, JsonNode> custom = renderedAlerts("metrics.prometheusRule.latencyObjectiveSeconds", "0.25",
                "metrics.prometheusRule.alertLabels.team", "edge", "metrics.prometheusRule.labels.release", "kps");
        assertThat(custom.get("GatehouseLatencyHigh").path("expr").asText()).endsWith("> 0.25");
        assertThat(custom.get("GatehouseLatencyHigh").at("/annotations/description").asText()).contains("objective of 0.25 s");
        assertThat(custom.values()).allSatisfy(r -> assertThat(r.at("/labels/team").asText()).isEqualTo("edge"));
        assertThat(custom.get("GatehouseRouteErrors").at("/labels/severity").asText()).isEqualTo("critical");
        JsonNode rule = tree(monitoring(Chart.parse(Chart.template().set("metrics.prometheusRule.enabled", true)
                .set("metrics.prometheusRule.labels.release", "kps").call()), "PrometheusRule").get(0));
        assertThat(rule.at("/metadata/labels/release").asText()).isEqualTo("kps");
    }

    @Test
    void theDashboardConfigMapHoldsTheFileForTheSidecar() throws IOException {
        ConfigMap byDefault = Chart.one(Chart.parse(Chart.template().set("metrics.dashboard.enabled", true).call()),
                ConfigMap.class, "gatehouse-dashboard");
        assertThat(byDefault.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1")
                .containsEntry("app.kubernetes.io/instance", "gatehouse");
        assertThat(byDefault.getMetadata().getNamespace()).isEqualTo(Chart.NAMESPACE);
        assertThat(byDefault.getData()).containsOnlyKeys("gatehouse.json");
        assertThat(byDefault.getData().get("gatehouse.json")).as("the file as a user imports it by hand")
                .isEqualTo(Files.readString(DASHBOARD).stripTrailing());

        ConfigMap custom = Chart.one(Chart.parse(Chart.template().set("metrics.dashboard.enabled", true)
                .set("metrics.dashboard.label", "grafana.example.com/dashboard").set("metrics.dashboard.labelValue", "gatehouse")
                .set("metrics.dashboard.annotations.grafana_folder", "Gateways")
                .set("metrics.dashboard.namespace", "monitoring").call()), ConfigMap.class, "gatehouse-dashboard");
        assertThat(custom.getMetadata().getLabels()).containsEntry("grafana.example.com/dashboard", "gatehouse")
                .doesNotContainKey("grafana_dashboard");
        assertThat(custom.getMetadata().getAnnotations()).containsExactly(Map.entry("grafana_folder", "Gateways"));
        assertThat(custom.getMetadata().getNamespace()).isEqualTo("monitoring");
    }

    @Test
    void theDashboardShowsWhatOperatorsWatch() throws IOException {
        JsonNode dashboard = JSON.readTree(DASHBOARD.toFile());
        assertThat(dashboard.path("uid").asText()).isEqualTo("gatehouse");
        List<String> exprs = new ArrayList<>();
        Set<Integer> ids = new HashSet<>();
        for (JsonNode panel : dashboard.path("panels")) {
            assertThat(ids.add(panel.path("id").asInt())).as("panel ids are unique").isTrue();
            JsonNode pos = panel.path("gridPos");
            assertThat(pos.path("x").asInt() + pos.path("w").asInt()).as(panel.path("title").asText()).isLessThanOrEqualTo(24);
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            assertThat(panel.at("/datasource/uid").asText()).as("every panel uses the dashboard's data source variable")
                    .isEqualTo("${datasource}");
            assertThat(panel.path("targets")).as(panel.path("title").asText()).isNotEmpty();
            panel.path("targets").forEach(t -> exprs.add(t.path("expr").asText()));
        }
        String all = String.join("\n", exprs);
        assertThat(all).contains("sum by (route) (rate(gatehouse_requests_total{")
                .contains("sum by (status_class) (rate(gatehouse_requests_total{");
        for (String q : List.of("0.5", "0.9", "0.99")) {
            assertThat(all).contains("histogram_quantile(" + q + ", sum by (route, le) (rate(gatehouse_request_duration_seconds_bucket{");
        }
        assertThat(all).contains("gatehouse_upstream_target_in_flight", "gatehouse_retries_total", "gatehouse_retries_in_flight",
                "gatehouse_retries_budget_exhausted_total", "gatehouse_controller_convergence_seconds_bucket",
                "gatehouse_controller_channel_nacks_total", "gatehouse_snapshots_refused_total",
                "sum by (reason) (rate(gatehouse_client_refused_total{", "jvm_memory_used_bytes{namespace=~\"$namespace\", area=\"heap\"}");
        assertThat(exprs).allSatisfy(e -> assertThat(e).as("scoped to the selected namespaces").contains("namespace=~\"$namespace\""));
    }

    @Test
    void everyGatehouseMetricTheKitQueriesIsDocumented() throws IOException {
        String doc = Files.readString(OPERATIONS);
        StringBuilder queries = new StringBuilder(Files.readString(DASHBOARD));
        renderedAlerts().values().forEach(r -> queries.append('\n').append(r.path("expr").asText()));
        Matcher m = Pattern.compile("gatehouse_[a-z_]+").matcher(queries);
        Set<String> names = new HashSet<>();
        while (m.find()) {
            names.add(m.group().replaceAll("_(bucket|sum|count)$", ""));
        }
        assertThat(names).hasSizeGreaterThan(20);
        assertThat(names).allSatisfy(n -> assertThat(doc).as(n + " in docs/operations.md's metric tables").contains("`" + n + "`"));
    }

    @Test
    void helmRefusesBadKitValues() {
        assertThatThrownBy(() -> Chart.template().set("metrics.podMonitor.interval", "30 seconds").call())
                .hasMessageContaining("metrics.podMonitor.interval");
        assertThatThrownBy(() -> Chart.template().set("metrics.podMonitor.intervall", "30s").call())
                .hasMessageContaining("Additional property intervall is not allowed");
        assertThatThrownBy(() -> Chart.template().set("metrics.prometheusRule.latencyObjectiveSeconds", 0).call())
                .hasMessageContaining("metrics.prometheusRule.latencyObjectiveSeconds");
        assertThatThrownBy(() -> Chart.template().set("metrics.prometheusRule.latencyObjectiveSeconds", "1s").call())
                .hasMessageContaining("metrics.prometheusRule.latencyObjectiveSeconds");
        assertThatThrownBy(() -> Chart.template().set("metrics.prometheusRule.runbookBaseURL", "docs/").call())
                .hasMessageContaining("metrics.prometheusRule.runbookBaseURL");
        assertThatThrownBy(() -> Chart.template().set("metrics.prometheusRule.alertLabels.team-name", "edge").call())
                .hasMessageContaining("metrics.prometheusRule.alertLabels");
        assertThatThrownBy(() -> Chart.template().set("metrics.dashboard.labelValue", "not a label").call())
                .hasMessageContaining("metrics.dashboard.labelValue");
    }
}
