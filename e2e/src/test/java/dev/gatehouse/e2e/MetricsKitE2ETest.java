package dev.gatehouse.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.app.DemoBackend;
import dev.gatehouse.app.Gatehouse;
import dev.gatehouse.controller.channel.ChannelServer;
import dev.gatehouse.controller.files.ManifestReader;
import dev.gatehouse.controller.k8s.MockApiServer;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.gatehouse.e2e.Cluster.NS;
import static dev.gatehouse.e2e.Cluster.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every metric that the chart's Grafana dashboard and alert rules query exists in a real scrape:
 * {@code gatehouse controller} and {@code gatehouse proxy} run as processes of their own (so their
 * JVM and process meters are bound as in a pod), against the mock API server, and serve traffic
 * that produces the series: 200s, key-auth 401s, a request retried past a dead target, 502s from
 * dead targets with a retry and with the retry budget spent, a refused request path. Then both
 * {@code /metrics} are scraped and each name the PromQL expressions use must be a sample there
 * ({@code X_bucket} only of a histogram). A series that only appears on an event this test cannot
 * cause is listed in {@link #NOT_PRODUCED} with the reason, never skipped in silence.
 */
class MetricsKitE2ETest {
    static final Path DASHBOARD = Path.of("../helm/gatehouse/dashboards/gatehouse.json");
    static final Path RULES = Path.of("../helm/gatehouse/templates/prometheusrule.yaml");

    /** Metric names queried by the kit that this test cannot produce, and why. */
    static final Map<String, String> NOT_PRODUCED = Map.of();

    MockApiServer server;
    final List<AutoCloseable> closeables = new ArrayList<>();
    @TempDir
    Path dir;

    @AfterEach
    void stop() throws Exception {
        Collections.reverse(closeables);
        for (AutoCloseable c : closeables) {
            c.close();
        }
        if (server != null) {
            server.close();
        }
    }

    <T extends AutoCloseable> T closing(T c) {
        closeables.add(c);
        return c;
    }

    @Test
    @Timeout(value = 600, unit = TimeUnit.SECONDS) // a backstop: two child JVMs start in turn, each bounded by ChildJvm.START
    void everyMetricTheDashboardAndTheAlertsQueryIsScrapedAfterTraffic() throws Exception {
        Set<String> queried = new TreeSet<>(dashboardMetricNames());
        Set<String> fromRules = ruleMetricNames();
        queried.addAll(fromRules);
        assertThat(fromRules).as("names read from the alert rules").contains("gatehouse_requests_total",
                "gatehouse_controller_channel_nacks_total", "jvm_memory_max_bytes");
        assertThat(queried).as("names read from the dashboard").contains("gatehouse_request_duration_seconds_bucket",
                "gatehouse_upstream_target_in_flight", "gatehouse_client_refused_total", "jvm_gc_pause_seconds_sum");

        server = new MockApiServer();
        KubernetesClient client = server.newClient();
        DemoBackend pod = closing(DemoBackend.start("127.0.0.1", 0, "pod-1"));
        int dead = Cluster.reserveFreePort();
        int deadToo = Cluster.reserveFreePort();
        client.resource(Cluster.service("echo")).create();
        client.resource(Cluster.slice("echo-1", "echo", pod, true, false)).create();
        client.resource(new EndpointSliceBuilder().withNewMetadata().withName("echo-dead").withNamespace(NS)
                .addToLabels("kubernetes.io/service-name", "echo").endMetadata().withAddressType("IPv4")
                .addNewPort().withName("http").withPort(dead).withProtocol("TCP").endPort()
                .addNewEndpoint().withAddresses("127.0.0.1").withNewConditions().withReady(true).withServing(true)
                .withTerminating(false).endConditions().endEndpoint().build()).create();
        Cluster.applySeedWithPods(client); // the seed's Upstream: Service echo's ready endpoints, one of them dead
        for (HasMetadata o : ManifestReader.read("dead.yaml", """
                apiVersion: gatehouse.dev/v1alpha1
                kind: Upstream
                metadata: {name: gone}
                spec: {targets: [{address: "127.0.0.1:%d"}, {address: "127.0.0.1:%d"}]}
                ---
                apiVersion: gatehouse.dev/v1alpha1
                kind: GatewayService
                metadata: {name: gone}
                spec: {upstreamRef: {name: gone}, retries: 1}
                ---
                apiVersion: gatehouse.dev/v1alpha1
                kind: GatewayService
                metadata: {name: spent}
                spec: {upstreamRef: {name: gone}, retries: 1, retryBudget: {percent: 0, minConcurrency: 0}}
                ---
                apiVersion: gatehouse.dev/v1alpha1
                kind: GatewayRoute
                metadata: {name: gone}
                spec: {serviceRef: {name: gone}, paths: ["/gone"]}
                ---
                apiVersion: gatehouse.dev/v1alpha1
                kind: GatewayRoute
                metadata: {name: spent}
                spec: {serviceRef: {name: spent}, paths: ["/spent"]}
                """.formatted(dead, deadToo)).objects()) {
            o.getMetadata().setNamespace(NS);
            client.resource(o).create();
        }

        Path kubeconfig = Files.writeString(dir.resolve("kubeconfig"), """
                apiVersion: v1
                kind: Config
                clusters: [{name: mock, cluster: {server: "%s", insecure-skip-tls-verify: true}}]
                users: [{name: kit, user: {token: kit}}]
                contexts: [{name: mock, context: {cluster: mock, user: kit, namespace: default}}]
                current-context: mock
                """.formatted(client.getMasterUrl()));
        Path token = Files.writeString(dir.resolve("token"), Cluster.TOKEN);
        Path logs = Files.createDirectories(Path.of("target/kit-logs"));
        // every port the children listen on is their own bind of port 0, read from their log lines: a port
        // found free, released and bound again by a child was once taken in between by another process
        ChildJvm controller = closing(ChildJvm.start(Gatehouse.class,
                Map.of("KUBECONFIG", kubeconfig.toString(), "POD_NAME", "controller-kit", "POD_NAMESPACE", NS,
                        "KUBERNETES_REQUEST_TIMEOUT", MockApiServer.REQUEST_TIMEOUT_MILLIS),
                logs.resolve("controller.log"), "controller", "--token-file", token.toString(), "--namespace", NS,
                "--channel-address", "127.0.0.1", "--channel-port", "0",
                "--status-address", "127.0.0.1", "--status-port", "0"));
        int channelPort = controller.awaitPort("event=channel.listening ", "the controller's channel listening");
        int controllerStatus = controller.awaitPort("event=status.listening ", "the controller's status port listening");
        ChildJvm proxy = closing(ChildJvm.start(Gatehouse.class, Map.of(), logs.resolve("proxy.log"), "proxy",
                "--controller", "ws://127.0.0.1:" + channelPort + ChannelServer.PATH, "--token-file", token.toString(),
                "--proxy-id", "proxy-kit", "--address", "127.0.0.1", "--port", "0", "--tls-port", "0",
                "--status-address", "127.0.0.1", "--status-port", "0", "--access-log", "off"));
        int proxyStatus = proxy.awaitPort("event=status.listening ", "the proxy's status port listening");
        int proxyPort = proxy.awaitPort("event=proxy.listening listener=http ", "the proxy serving its first snapshot");

        Http http = new Http(proxyPort);
        await(Duration.ofSeconds(30), () -> http.status("/spent"), s -> s == 502, "the proxy serves every route");
        for (int i = 0; i < 6; i++) {
            assertThat(http.get("/").statusCode()).as("GET / (a dead target retried on the live one)").isEqualTo(200);
        }
        assertThat(http.get("/profile").statusCode()).isEqualTo(401);
        assertThat(http.get("/profile", "apikey", "wrong").statusCode()).isEqualTo(401);
        assertThat(http.get("/profile", "apikey", "my-secret-key").statusCode()).isEqualTo(200);
        assertThat(http.get("/gone").statusCode()).as("both targets dead, one retry").isEqualTo(502);
        assertThat(RawGet.get(proxyPort, "kit", "/a%00b").status()).as("a refused path").isEqualTo(400);
        gc(controller.pid());
        gc(proxy.pid());

        String p = scrape(proxyStatus, s -> s.contains("jvm_gc_pause_seconds_sum"));
        String c = scrape(controllerStatus, s -> s.contains("gatehouse_controller_convergence_seconds_bucket")
                && s.contains("jvm_gc_pause_seconds_sum") && ObservabilityE2ETest.sample(s, "gatehouse_controller_leader") == 1.0);
        // the traffic above produced what it was meant to, so the names below are not empty families
        assertThat(ObservabilityE2ETest.sample(p,
                "gatehouse_retries_total{route=\"default/root\",service=\"default/moesif-service\"}")).isGreaterThanOrEqualTo(1.0);
        assertThat(ObservabilityE2ETest.sample(p,
                "gatehouse_retries_total{route=\"default/gone\",service=\"default/gone\"}")).isEqualTo(1.0);
        assertThat(ObservabilityE2ETest.sample(p,
                "gatehouse_retries_budget_exhausted_total{route=\"default/spent\",service=\"default/spent\"}")).isGreaterThanOrEqualTo(1.0);
        assertThat(ObservabilityE2ETest.sample(p,
                "gatehouse_requests_total{route=\"default/gone\",service=\"default/gone\",status_class=\"5xx\"}")).isEqualTo(1.0);
        assertThat(ObservabilityE2ETest.sample(p,
                "gatehouse_keyauth_failures_total{reason=\"unknown_key\",route=\"default/profile\"}")).isEqualTo(1.0);
        assertThat(ObservabilityE2ETest.sample(p, "gatehouse_client_refused_total{reason=\"bad_path\"}")).isEqualTo(1.0);

        Scrape proxyScrape = Scrape.of(p);
        Scrape controllerScrape = Scrape.of(c);
        Map<String, String> missing = new TreeMap<>();
        for (String name : queried) {
            if (NOT_PRODUCED.containsKey(name)) {
                continue;
            }
            String problem = Scrape.problem(name, proxyScrape, controllerScrape);
            if (problem != null) {
                missing.put(name, problem);
            }
        }
        assertThat(missing).as("metrics the kit queries that no scrape has (queried: %s)", queried).isEmpty();
        assertThat(NOT_PRODUCED.keySet()).as("listed as not produced but queried by nothing").isSubsetOf(queried);
    }

    /** A full GC in {@code pid}, as {@code jcmd PID GC.run}: the GC pause series appear with the first collection. */
    static void gc(long pid) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), String.valueOf(pid), "GC.run").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("jcmd GC.run").isTrue();
        assertThat(p.exitValue()).as("jcmd GC.run: " + out).isZero();
    }

    static String scrape(int port, java.util.function.Predicate<String> ready) throws InterruptedException {
        return await(Duration.ofSeconds(20), () -> {
            try {
                return ObservabilityE2ETest.scrape(port);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, ready, "a scrape of port " + port);
    }

    @Test
    void metricNamesAreReadFromPromQl() {
        assertThat(PromQl.metricNames("""
                histogram_quantile(0.99, sum by (route, le) (rate(foo_seconds_bucket{a="b{c} by (x)", route=~"$route"}[$__rate_interval])))
                  > 1e+06 and on (namespace, pod) (max by (pod) (bar) or baz_total offset 5m) unless ignoring (le) qux:rate5m
                """)).containsExactlyInAnyOrder("foo_seconds_bucket", "bar", "baz_total", "qux:rate5m");
        assertThat(PromQl.metricNames("gatehouse_channel_connected == 0")).containsExactly("gatehouse_channel_connected");
        assertThat(PromQl.labelValuesMetric("label_values(gatehouse_requests_total{namespace=~\"$namespace\"}, route)"))
                .isEqualTo("gatehouse_requests_total");
        Scrape s = Scrape.of("""
                # TYPE a_seconds histogram
                a_seconds_bucket{le="+Inf"} 1
                a_seconds_sum 0.1
                a_seconds_count 1
                # TYPE b_seconds summary
                b_seconds_sum 0.1
                b_seconds_count 1
                # TYPE c_total counter
                c_total{x="1"} 2
                # TYPE e untyped
                e_bucket 1
                """);
        assertThat(Scrape.problem("a_seconds_bucket", s)).isNull();
        assertThat(Scrape.problem("a_seconds_count", s)).isNull();
        assertThat(Scrape.problem("c_total", s)).isNull();
        assertThat(Scrape.problem("b_seconds_count", s)).isNull();
        assertThat(Scrape.problem("b_seconds_bucket", s)).as("a summary has no buckets").contains("no sample");
        assertThat(Scrape.problem("e_bucket", s)).contains("is a untyped, not a histogram");
        assertThat(Scrape.problem("c_total", Scrape.of(""), s)).as("any of the scrapes").isNull();
        assertThat(Scrape.problem("d_total", s)).contains("no sample");
    }

    static Set<String> dashboardMetricNames() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        Set<String> names = new TreeSet<>();
        int exprs = 0;
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                names.addAll(PromQl.metricNames(target.path("expr").asText()));
                exprs++;
            }
        }
        for (JsonNode variable : dashboard.at("/templating/list")) {
            if (variable.path("type").asText().equals("query")) {
                names.add(PromQl.labelValuesMetric(variable.at("/query/query").asText()));
            }
        }
        assertThat(exprs).as("queries in " + DASHBOARD).isGreaterThan(20);
        return names;
    }

    /**
     * The names in the {@code expr:} blocks of the PrometheusRule template; Helm actions in them
     * (the latency objective) stand for a number.
     */
    static Set<String> ruleMetricNames() throws IOException {
        Set<String> names = new TreeSet<>();
        List<String> lines = Files.readAllLines(RULES);
        int exprs = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int indent = line.indexOf("expr:");
            if (indent < 0 || !line.substring(0, indent).isBlank()) {
                continue;
            }
            StringBuilder expr = new StringBuilder(line.substring(indent + "expr:".length()).replace("|-", ""));
            while (i + 1 < lines.size() && (lines.get(i + 1).isBlank() || lines.get(i + 1).length() - lines.get(i + 1).stripLeading().length() > indent)) {
                expr.append('\n').append(lines.get(++i));
            }
            names.addAll(PromQl.metricNames(expr.toString().replaceAll("\\{\\{[^}]*}}", "1")));
            exprs++;
        }
        assertThat(exprs).as("expr: blocks in " + RULES).isGreaterThanOrEqualTo(13);
        return names;
    }

    /** The metric names of a PromQL expression: identifiers that are not functions, keywords, labels or values. */
    static final class PromQl {
        private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"");
        private static final Pattern LABEL_LIST = Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
        private static final Pattern IDENTIFIER = Pattern.compile("(?<![\\w.:$])[a-zA-Z_:][\\w:]*");
        private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "by", "without", "on",
                "ignoring", "group_left", "group_right", "inf", "nan", "atan2");

        static Set<String> metricNames(String promql) {
            String s = STRING.matcher(promql).replaceAll("\"\"");
            s = s.replaceAll("\\{[^}]*}", " ").replaceAll("\\[[^]]*]", " ");
            s = LABEL_LIST.matcher(s).replaceAll(" ");
            Set<String> names = new TreeSet<>();
            Matcher m = IDENTIFIER.matcher(s);
            while (m.find()) {
                String rest = s.substring(m.end()).stripLeading();
                if (!rest.startsWith("(") && !KEYWORDS.contains(m.group().toLowerCase(java.util.Locale.ROOT))) {
                    names.add(m.group());
                }
            }
            return names;
        }

        /** The metric of a Grafana {@code label_values(metric{...}, label)} query. */
        static String labelValuesMetric(String query) {
            Matcher m = Pattern.compile("^label_values\\(\\s*([a-zA-Z_:][\\w:]*)").matcher(query.trim());
            assertThat(m.find()).as("a label_values(metric, label) query: " + query).isTrue();
            return m.group(1);
        }
    }

    /** The sample names and family types of Prometheus text-format scrapes. */
    record Scrape(Set<String> samples, Map<String, String> types) {
        static Scrape of(String text) {
            Set<String> samples = new TreeSet<>();
            Map<String, String> types = new TreeMap<>();
            for (String line : text.split("\n")) {
                if (line.startsWith("# TYPE ")) {
                    String[] parts = line.split(" ");
                    types.put(parts[2], parts[3]);
                } else if (!line.isBlank() && !line.startsWith("#")) {
                    samples.add(line.split("[{ ]", 2)[0]);
                }
            }
            return new Scrape(samples, types);
        }

        /**
         * Why {@code name} is not served by any of {@code scrapes}, or null when one serves it: its
         * samples are there, and a {@code _bucket} is a histogram's ({@code histogram_quantile} over a
         * summary's quantiles would be empty), a {@code _sum}/{@code _count} a histogram's or summary's
         * unless it is a family of its own.
         */
        static String problem(String name, Scrape... scrapes) {
            String why = "no sample named " + name;
            for (Scrape s : scrapes) {
                if (!s.samples.contains(name)) {
                    continue;
                }
                Matcher m = Pattern.compile("^(.+)_(bucket|sum|count)$").matcher(name);
                if (!m.matches() || s.types.containsKey(name)) {
                    return null;
                }
                String type = s.types.get(m.group(1));
                boolean ok = m.group(2).equals("bucket") ? "histogram".equals(type) : "histogram".equals(type) || "summary".equals(type);
                if (ok) {
                    return null;
                }
                why = name + ": its family " + m.group(1) + " is a " + type + ", not a histogram" + (m.group(2).equals("bucket") ? "" : " or summary");
            }
            return why;
        }
    }
}
