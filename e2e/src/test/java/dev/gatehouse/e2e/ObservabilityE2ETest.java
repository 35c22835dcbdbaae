package dev.gatehouse.e2e;

import dev.gatehouse.app.ControllerCommand;
import dev.gatehouse.app.DemoBackend;
import dev.gatehouse.app.ProxyCommand;
import dev.gatehouse.controller.channel.ChannelServer;
import dev.gatehouse.controller.channel.ChannelServerConfig;
import dev.gatehouse.controller.k8s.ControllerConfig;
import dev.gatehouse.controller.k8s.MockApiServer;
import dev.gatehouse.controller.status.StatusEndpoint;
import dev.gatehouse.proxy.ProxyConfig;
import dev.gatehouse.proxy.channel.ChannelClientConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import static dev.gatehouse.e2e.Cluster.NS;
import static dev.gatehouse.e2e.Cluster.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The metrics of both halves after real traffic: the controller's {@code /metrics}
 * (its {@link StatusEndpoint}) and a proxy's, each scraped over a socket and read as the
 * Prometheus text format.
 */
class ObservabilityE2ETest {
    MockApiServer server;
    KubernetesClient client;

    @org.junit.jupiter.api.BeforeEach
    void start() {
        server = new MockApiServer();
        client = server.newClient();
    }

    @org.junit.jupiter.api.AfterEach
    void stop() {
        server.close();
    }

    /** The value of the sample line {@code series} (name and labels exactly as exposed); fails when absent. */
    static double sample(String scrape, String series) {
        return scrape.lines().filter(l -> l.startsWith(series + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(series.length() + 1)))
                .orElseThrow(() -> new AssertionError("no " + series + " in\n" + scrape));
    }

    /** The series' value, or -1 while it is not in the scrape yet. */
    static double sampleOr(String scrape, String series) {
        return scrape.lines().filter(l -> l.startsWith(series + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(series.length() + 1))).orElse(-1.0);
    }

    static String scrape(int port) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        return r.body();
    }

    @Test
    void controllerAndProxyMetricsAfterTraffic() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (DemoBackend one = DemoBackend.start("127.0.0.1", 0, "pod-1");
             KubernetesClient controllerClient = server.newClient()) {
            client.resource(Cluster.service("echo")).create();
            client.resource(Cluster.slice("echo-1", "echo", one, true, false)).create();
            Cluster.applySeedWithPods(client);
            try (ControllerCommand.Running controller = ControllerCommand.Running.start(controllerClient,
                    new ControllerConfig(List.of(), NS, "gatehouse-controller", "controller-m",
                            Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(200)),
                    new ChannelServerConfig("127.0.0.1", 0, Cluster.TOKEN, null, null), registry);
                 StatusEndpoint status = StatusEndpoint.start("127.0.0.1", 0, controller.controller::ready, registry);
                 ProxyCommand.Running proxy = ProxyCommand.Running.start(new ProxyConfig("127.0.0.1", 0, 2, Duration.ofSeconds(5)), 0,
                         new ChannelClientConfig(URI.create("ws://127.0.0.1:" + controller.channel.port() + ChannelServer.PATH),
                                 Cluster.TOKEN, "proxy-m", null, false, null))) {
                await(Duration.ofSeconds(10), () -> proxy.proxy.current().routes().size(), n -> n == 2, "the proxy serves the seed");
                await(Duration.ofSeconds(10), () -> controller.controller.leader(), l -> l, "the controller leads");
                Http http = new Http(proxy.proxy.port());
                for (int i = 0; i < 5; i++) {
                    assertThat(http.get("/").statusCode()).isEqualTo(200);
                }
                assertThat(http.get("/profile").statusCode()).isEqualTo(401);
                assertThat(http.get("/profile", "apikey", "wrong").statusCode()).isEqualTo(401);
                assertThat(http.get("/profile", "apikey", "my-secret-key").statusCode()).isEqualTo(200);

                // a request is counted when its exchange ends on the event loop, which may be just after the
                // client read the answer: the counts are awaited (at least), then asserted exact
                String root2xx = "gatehouse_requests_total{route=\"default/root\",service=\"default/moesif-service\",status_class=\"2xx\"}";
                String profile4xx = "gatehouse_requests_total{route=\"default/profile\",service=\"default/moesif-service\",status_class=\"4xx\"}";
                String rootDurations = "gatehouse_request_duration_seconds_count{route=\"default/root\",service=\"default/moesif-service\"}";
                String p = await(Duration.ofSeconds(30), () -> {
                    try {
                        return scrape(proxy.status.port());
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, s -> sampleOr(s, root2xx) >= 5 && sampleOr(s, profile4xx) >= 2 && sampleOr(s, rootDurations) >= 5,
                        "the proxy's requests counted");
                assertThat(sample(p, "gatehouse_requests_total{route=\"default/root\",service=\"default/moesif-service\",status_class=\"2xx\"}"))
                        .isEqualTo(5.0);
                assertThat(sample(p, "gatehouse_requests_total{route=\"default/profile\",service=\"default/moesif-service\",status_class=\"4xx\"}"))
                        .isEqualTo(2.0);
                assertThat(sample(p, "gatehouse_keyauth_failures_total{reason=\"no_key\",route=\"default/profile\"}")).isEqualTo(1.0);
                assertThat(sample(p, "gatehouse_keyauth_failures_total{reason=\"unknown_key\",route=\"default/profile\"}")).isEqualTo(1.0);
                assertThat(sample(p, "gatehouse_request_duration_seconds_count{route=\"default/root\",service=\"default/moesif-service\"}"))
                        .isEqualTo(5.0);
                assertThat(sample(p, "gatehouse_channel_connected")).isEqualTo(1.0);
                assertThat(sample(p, "gatehouse_snapshot_version")).isEqualTo(proxy.proxy.current().version());
                assertThat(p).doesNotContain("my-secret-key");

                String c = await(Duration.ofSeconds(30), () -> {
                    try {
                        return scrape(status.port());
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, s -> s.contains("gatehouse_controller_convergence_seconds_count ")
                        && sample(s, "gatehouse_controller_convergence_seconds_count") >= 1, "a convergence recorded");
                assertThat(sample(c, "gatehouse_controller_proxies_connected")).isEqualTo(1.0);
                assertThat(sample(c, "gatehouse_controller_leader")).isEqualTo(1.0);
                assertThat(sample(c, "gatehouse_controller_channel_acks_total")).isGreaterThanOrEqualTo(1.0);
                assertThat(sample(c, "gatehouse_controller_channel_nacks_total")).isEqualTo(0.0);
                assertThat(sample(c, "gatehouse_controller_reconciles_total")).isGreaterThanOrEqualTo(1.0);
                assertThat(sample(c, "gatehouse_controller_pushes_total")).isGreaterThanOrEqualTo(1.0);
                assertThat(sample(c, "gatehouse_controller_snapshot_version")).isEqualTo(proxy.proxy.current().version());
                assertThat(c).contains("gatehouse_controller_convergence_seconds_bucket{le=\"+Inf\"}");
            }
        }
    }
}
