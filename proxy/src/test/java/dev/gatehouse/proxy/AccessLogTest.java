package dev.gatehouse.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.KeyDigest;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.observe.AccessLogDestination;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/** The access log over real sockets: one JSON line per request, never a key, nothing when off. */
class AccessLogTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "s3cret-alice-key";

    private static Snapshot snapshot(int port) {
        Consumer alice = new Consumer("uid-alice", Fixtures.source("Consumer", "default/alice"), "alice", null,
                List.of(new Consumer.Credential("cred-alice", KeyDigest.of(KEY))));
        return Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/open", "default/s").paths("/open").build(),
                        route("default/keyed", "default/s").paths("/k")
                                .keyAuth(new Route.KeyAuth(List.of(), true, true, false, null)).build()),
                List.of(upstream("default/u", port)), List.of(alice));
    }

    private static List<JsonNode> lines(String text) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (!line.isBlank()) {
                out.add(JSON.readTree(line));
            }
        }
        return out;
    }

    @Test
    void writesOneJsonLinePerRequestWithoutTheKey(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.log");
        int backendPort;
        Instant started;
        Instant answered;
        try (Backend backend = new Backend("b")) {
            backendPort = backend.port();
            ProxyServer proxy = ProxyServer.start(Fixtures.config(), new SimpleMeterRegistry(), AccessLogDestination.file(file));
            try {
                assertThat(proxy.apply(snapshot(backend.port()))).isEmpty();
                started = Instant.now();
                TestClient.Response open = TestClient.raw(proxy.port(), "POST /open/a?x=1&apikey=" + KEY + " HTTP/1.1\r\nHost: h\r\n"
                        + "X-Request-Id: req-1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
                answered = Instant.now();
                assertThat(open.status()).isEqualTo(200);
                assertThat(TestClient.get(proxy.port(), "/k/b", "apikey", KEY, "X-Request-Id", "req-2").status()).isEqualTo(200);
                assertThat(TestClient.get(proxy.port(), "/k/c?apikey=" + KEY + "&y=2", "X-Request-Id", "req-3").status())
                        .isEqualTo(200);
                assertThat(TestClient.get(proxy.port(), "/k/d?apikey=wrong-" + KEY, "X-Request-Id", "req-4").status())
                        .isEqualTo(401);
                assertThat(TestClient.get(proxy.port(), "/nothing?apikey=" + KEY, "X-Request-Id", "req-5").status()).isEqualTo(404);
                assertThat(TestClient.raw(proxy.port(), "GET /k?apikey=" + KEY + " HTTP/1.1\r\nHost: h\r\nX-Request-Id: req-6\r\n"
                        + "Content-Length: 1\r\nContent-Length: 2\r\n\r\nab").status()).isEqualTo(400);
            } finally {
                proxy.close(); // writes what is queued
            }
        }
        String text = Files.readString(file);
        assertThat(text).doesNotContain(KEY);
        List<JsonNode> log = lines(text);
        assertThat(log).hasSize(6);

        JsonNode post = log.stream().filter(n -> n.get("request_id").asText().equals("req-1")).findFirst().orElseThrow();
        assertThat(post.fieldNames()).toIterable().containsExactly("time", "request_id", "client", "peer", "method", "protocol",
                "path", "route", "service", "target", "status", "bytes_in", "bytes_out", "latency_ms", "upstream_latency_ms", "retries",
                "consumer", "tls_version", "sni");
        // the request's start, to the millisecond (the line's time is made from the monotonic clock: WallClock)
        assertThat(Instant.parse(post.get("time").asText())).isBetween(started.minusMillis(2), answered.plusMillis(2));
        assertThat(post.get("client").asText()).startsWith("127.0.0.1:");
        assertThat(post.get("peer").isNull()).as("no trusted proxy in between").isTrue();
        assertThat(post.get("method").asText()).isEqualTo("POST");
        assertThat(post.get("protocol").asText()).isEqualTo("HTTP/1.1");
        assertThat(post.get("path").asText()).isEqualTo("/open/a?x=1&apikey=REDACTED"); // no key-auth here, redacted all the same
        assertThat(post.get("route").asText()).isEqualTo("default/open");
        assertThat(post.get("service").asText()).isEqualTo("default/s");
        assertThat(post.get("target").asText()).isEqualTo("127.0.0.1:" + backendPort);
        assertThat(post.get("status").asInt()).isEqualTo(200);
        assertThat(post.get("bytes_in").asLong()).isEqualTo(5);
        assertThat(post.get("bytes_out").asLong()).isPositive();
        assertThat(post.get("latency_ms").asDouble()).isPositive();
        assertThat(post.get("upstream_latency_ms").asDouble()).isPositive().isLessThanOrEqualTo(post.get("latency_ms").asDouble());
        assertThat(post.get("retries").asInt()).isZero();
        assertThat(post.get("consumer").isNull()).isTrue();

        for (String id : List.of("req-2", "req-3")) {
            JsonNode keyed = log.stream().filter(n -> n.get("request_id").asText().equals(id)).findFirst().orElseThrow();
            assertThat(keyed.get("consumer").asText()).isEqualTo("alice");
            assertThat(keyed.get("route").asText()).isEqualTo("default/keyed");
            assertThat(keyed.get("status").asInt()).isEqualTo(200);
        }
        assertThat(log.stream().filter(n -> n.get("request_id").asText().equals("req-3")).findFirst().orElseThrow()
                .get("path").asText()).isEqualTo("/k/c?apikey=REDACTED&y=2");
        JsonNode refused = log.stream().filter(n -> n.get("request_id").asText().equals("req-4")).findFirst().orElseThrow();
        assertThat(refused.get("status").asInt()).isEqualTo(401);
        assertThat(refused.get("path").asText()).isEqualTo("/k/d?apikey=REDACTED");
        assertThat(refused.get("target").isNull()).isTrue();
        assertThat(refused.get("upstream_latency_ms").isNull()).isTrue();
        assertThat(refused.get("consumer").isNull()).isTrue();
        JsonNode unmatched = log.stream().filter(n -> n.get("request_id").asText().equals("req-5")).findFirst().orElseThrow();
        assertThat(unmatched.get("status").asInt()).isEqualTo(404);
        assertThat(unmatched.get("route").isNull()).isTrue();
        assertThat(unmatched.get("path").asText()).isEqualTo("/nothing?apikey=REDACTED");
        JsonNode bad = log.stream().filter(n -> n.get("request_id").asText().equals("req-6")).findFirst().orElseThrow();
        assertThat(bad.get("status").asInt()).isEqualTo(400);
        assertThat(bad.get("path").isNull()).isTrue();
        assertThat(bad.get("bytes_out").asLong()).isPositive();
    }

    @Test
    void everyRequestIsWrittenExactlyOnceByShutdown(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.log");
        int connections = 6;
        int perConnection = 150;
        try (Backend backend = new Backend("b")) {
            ProxyServer proxy = ProxyServer.start(Fixtures.config(), new SimpleMeterRegistry(), AccessLogDestination.file(file));
            try {
                assertThat(proxy.apply(snapshot(backend.port()))).isEmpty();
                // keep-alive connections spread over both event loops; the lines sit in the loops' buffers
                for (int c = 0; c < connections; c++) {
                    try (TestClient client = new TestClient(proxy.port())) {
                        for (int i = 0; i < perConnection; i++) {
                            client.write("GET /open/" + i + " HTTP/1.1\r\nHost: h\r\nX-Request-Id: n-" + c + "-" + i + "\r\n\r\n");
                            assertThat(client.read(false).status()).isEqualTo(200);
                        }
                    }
                }
            } finally {
                proxy.close(); // hands every loop's buffer over and writes the queue
            }
        }
        List<JsonNode> log = lines(Files.readString(file));
        assertThat(log).hasSize(connections * perConnection);
        assertThat(log.stream().map(n -> n.get("request_id").asText()).distinct()).hasSize(connections * perConnection);
    }

    @Test
    void stdoutGetsTheLinesAndOffWritesNothing() throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try (Backend backend = new Backend("b")) {
            for (AccessLogDestination d : List.of(AccessLogDestination.OFF, AccessLogDestination.STDOUT)) {
                ProxyServer proxy = ProxyServer.start(Fixtures.config(), new SimpleMeterRegistry(), d);
                try {
                    assertThat(proxy.apply(snapshot(backend.port()))).isEmpty();
                    assertThat(TestClient.get(proxy.port(), "/k", "apikey", KEY, "X-Request-Id", "via-" + d).status())
                            .isEqualTo(200);
                } finally {
                    proxy.close();
                }
            }
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertThat(out).doesNotContain("via-off", KEY).contains("\"request_id\":\"via-stdout\"");
        assertThat(out.lines().filter(l -> l.startsWith("{\"time\"")).count()).isEqualTo(1);
    }

    @Test
    void parsesTheOption() {
        assertThat(AccessLogDestination.parse("off")).isEqualTo(AccessLogDestination.OFF);
        assertThat(AccessLogDestination.parse("stdout")).isEqualTo(AccessLogDestination.STDOUT);
        assertThat(AccessLogDestination.parse("/var/log/gh.log")).isEqualTo(AccessLogDestination.file(Path.of("/var/log/gh.log")));
    }
}
