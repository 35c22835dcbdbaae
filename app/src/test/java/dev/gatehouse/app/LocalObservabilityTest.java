package dev.gatehouse.app;

import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.proxy.ProxyConfig;
import dev.gatehouse.proxy.observe.AccessLogDestination;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code gatehouse local} wires metrics on the status port and the access log. */
class LocalObservabilityTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static HttpResponse<String> get(int port, String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metricsAndAccessLogOfLocalMode(@TempDir Path tmp) throws Exception {
        HttpServer backend = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        backend.createContext("/", ex -> {
            byte[] body = "hello\n".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        backend.start();
        Path dir = Files.createDirectories(tmp.resolve("conf"));
        Files.writeString(dir.resolve("gw.yaml"), """
                apiVersion: gatehouse.dev/v1alpha1
                kind: Upstream
                metadata: {name: echo}
                spec: {targets: [{address: "127.0.0.1:%d"}]}
                ---
                apiVersion: gatehouse.dev/v1alpha1
                kind: GatewayService
                metadata: {name: echo}
                spec: {upstreamRef: {name: echo}}
                ---
                apiVersion: gatehouse.dev/v1alpha1
                kind: GatewayRoute
                metadata: {name: root}
                spec: {serviceRef: {name: echo}, paths: ["/"]}
                ---
                apiVersion: gatehouse.dev/v1alpha1
                kind: GatewayRoute
                metadata: {name: keyed}
                spec: {serviceRef: {name: echo}, paths: ["/keyed"], plugins: {keyAuth: {}}}
                ---
                apiVersion: gatehouse.dev/v1alpha1
                kind: Consumer
                metadata: {name: ann}
                spec: {username: ann, keyAuth: {secretRefs: [{name: ann-key}]}}
                ---
                apiVersion: v1
                kind: Secret
                metadata: {name: ann-key, labels: {gatehouse.dev/credential: key-auth}}
                stringData: {key: anns-very-secret-key}
                """.formatted(backend.getAddress().getPort()));
        Path accessLog = tmp.resolve("access.log");
        try {
            try (LocalRuntime runtime = LocalRuntime.start(dir, new ProxyConfig("127.0.0.1", 0, 1, Duration.ofSeconds(2)), 0,
                    AccessLogDestination.file(accessLog))) {
                assertThat(get(runtime.port(), "/a").statusCode()).isEqualTo(200);
                assertThat(get(runtime.port(), "/a").statusCode()).isEqualTo(200);
                assertThat(get(runtime.port(), "/keyed").statusCode()).isEqualTo(401);
                assertThat(get(runtime.port(), "/keyed?apikey=anns-very-secret-key").statusCode()).isEqualTo(200);

                HttpResponse<String> metrics = get(runtime.statusPort(), "/metrics");
                assertThat(metrics.statusCode()).isEqualTo(200);
                List<String> lines = metrics.body().lines().toList();
                assertThat(lines).contains(
                        "gatehouse_requests_total{route=\"default/root\",service=\"default/echo\",status_class=\"2xx\"} 2.0",
                        "gatehouse_requests_total{route=\"default/keyed\",service=\"default/echo\",status_class=\"4xx\"} 1.0",
                        "gatehouse_keyauth_failures_total{reason=\"no_key\",route=\"default/keyed\"} 1.0",
                        "gatehouse_channel_connected 1.0",
                        "gatehouse_snapshots_applied_total 1.0",
                        // local mode's own: nothing written mid-settle, every change announced (the source's
                        // tests make both move; these lines are how an operator reads them)
                        "gatehouse_local_settle_restarts_total 0.0",
                        "gatehouse_local_notifications_missed 0.0");
                assertThat(metrics.body()).doesNotContain("anns-very-secret-key");
            }
            String log = Files.readString(accessLog);
            assertThat(log.lines()).hasSize(4);
            assertThat(log).doesNotContain("anns-very-secret-key").contains("\"consumer\":\"ann\"", "\"path\":\"/keyed\"");
        } finally {
            backend.stop(0);
        }
    }

    @Test
    void theAccessLogOptionDefaultsToStdout() {
        LocalCommand local = new LocalCommand();
        new CommandLine(local).parseArgs("--dir", "x");
        assertThat(local.proxy.accessLog).isEqualTo(AccessLogDestination.STDOUT);
        new CommandLine(local).parseArgs("--dir", "x", "--access-log", "off");
        assertThat(local.proxy.accessLog).isEqualTo(AccessLogDestination.OFF);
        ProxyCommand proxy = new ProxyCommand();
        new CommandLine(proxy).parseArgs("--controller", "ws://c:18000", "--token-file", "t", "--access-log", "/tmp/a.log");
        assertThat(proxy.options.accessLog).isEqualTo(AccessLogDestination.file(Path.of("/tmp/a.log")));
    }
}
