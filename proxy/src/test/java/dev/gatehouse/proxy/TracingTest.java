package dev.gatehouse.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.observe.AccessLogDestination;
import dev.gatehouse.proxy.observe.TracingConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tracing over real sockets: the spans a loopback OTLP/HTTP receiver decodes, the traceparent and
 * tracestate a recording backend receives, and the access log's trace_id.
 */
@Timeout(60)
class TracingTest extends ProxyTestBase {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CLIENT_SPAN = "00f067aa0ba902b7";
    private static final HexFormat HEX = HexFormat.of();

    private final Collector collector = new Collector();

    {
        closeables.add(collector); // after the proxy, which sends what it still holds when it closes
    }

    /** A small OTLP/HTTP receiver on 127.0.0.1: POST /v1/traces with an ExportTraceServiceRequest. */
    static final class Collector implements AutoCloseable {
        final BlockingQueue<Span> spans = new LinkedBlockingQueue<>();
        final List<String> contentTypes = new java.util.concurrent.CopyOnWriteArrayList<>();
        private final HttpServer server;

        Collector() {
            try {
                server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            server.createContext("/v1/traces", ex -> {
                try (InputStream in = ex.getRequestBody()) {
                    contentTypes.add(ex.getRequestHeaders().getFirst("Content-Type"));
                    ExportTraceServiceRequest req = ExportTraceServiceRequest.parseFrom(in.readAllBytes());
                    for (ResourceSpans rs : req.getResourceSpansList()) {
                        for (ScopeSpans ss : rs.getScopeSpansList()) {
                            spans.addAll(ss.getSpansList());
                        }
                    }
                    ex.getResponseHeaders().set("Content-Type", "application/x-protobuf");
                    ex.sendResponseHeaders(200, -1);
                } finally {
                    ex.close();
                }
            });
            server.start();
        }

        URI endpoint() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        }

        Span next() throws InterruptedException {
            Span s = spans.poll(20, TimeUnit.SECONDS);
            assertThat(s).as("a span reached the collector").isNotNull();
            return s;
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    private TracingConfig tracing(double ratio) {
        return TracingConfig.to(collector.endpoint()).withSampleRatio(ratio).withBatchDelay(Duration.ofMillis(20));
    }

    /** One route to an upstream of {@code ports} (round robin from the first). */
    private void serve(TracingConfig tracing, Path log, int... ports) {
        Snapshot s = Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").build()), List.of(upstream("default/u", ports)), List.of());
        proxy = ProxyServer.start(Fixtures.oneLoopConfig().withTracing(tracing), new SimpleMeterRegistry(),
                log == null ? AccessLogDestination.OFF : AccessLogDestination.file(log));
        assertThat(proxy.apply(s)).isEmpty();
    }

    private static Map<String, Object> attributes(Span span) {
        return span.getAttributesList().stream().collect(Collectors.toMap(KeyValue::getKey, kv -> kv.getValue().hasIntValue()
                ? (Object) kv.getValue().getIntValue() : kv.getValue().getStringValue(), (a, b) -> a));
    }

    private static String hex(ByteString b) {
        return HEX.formatHex(b.toByteArray());
    }

    @Test
    void aSampledRequestIsAChildOfTheClientsSpanAndTheTargetAChildOfTheProxys(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("access.log");
        // the first target refuses: one retry, the same trace context on both attempts
        Backend backend = backend("b");
        serve(tracing(1.0), log, Backend.deadPort(), backend.port());
        TestClient.Response r = TestClient.get(proxy.port(), "/orders/1", "traceparent", "00-" + TRACE + "-" + CLIENT_SPAN + "-01",
                "tracestate", "vendor=abc,other=x", "X-Request-Id", "req-t1");
        assertThat(r.status()).isEqualTo(200);

        Span span = collector.next();
        assertThat(hex(span.getTraceId())).isEqualTo(TRACE);
        assertThat(hex(span.getParentSpanId())).as("parent = the client's traceparent").isEqualTo(CLIENT_SPAN);
        assertThat(span.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
        assertThat(span.getName()).isEqualTo("GET default/r");
        assertThat(span.getTraceState()).isEqualTo("vendor=abc,other=x");
        assertThat(attributes(span)).containsEntry("gatehouse.route", "default/r")
                .containsEntry("gatehouse.service", "default/s")
                .containsEntry("gatehouse.target", "127.0.0.1:" + backend.port())
                .containsEntry("http.request.method", "GET")
                .containsEntry("http.response.status_code", 200L)
                .containsEntry("gatehouse.retries", 1L)
                .containsEntry("gatehouse.request_id", "req-t1");
        assertThat(span.getStatus().getCode()).isNotEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
        assertThat(collector.contentTypes).contains("application/x-protobuf");

        Backend.Seen seen = backend.seen.get(0);
        String proxySpan = hex(span.getSpanId());
        assertThat(proxySpan).isNotEqualTo(CLIENT_SPAN);
        assertThat(seen.header("traceparent")).as("same trace, the proxy's span as parent")
                .isEqualTo("00-" + TRACE + "-" + proxySpan + "-01");
        assertThat(seen.headers().get("traceparent")).hasSize(1);
        assertThat(seen.header("tracestate")).isEqualTo("vendor=abc,other=x");

        proxy.close();
        proxy = null;
        JsonNode line = Fixtures.accessLog(log).get(0);
        assertThat(line.get("trace_id").asText()).isEqualTo(TRACE);
        assertThat(line.get("retries").asInt()).isEqualTo(1);
    }

    @Test
    void theTargetReceivesExactlyOneTraceparentOnTheWireAndTheHeadIsOtherwiseFramedAsDecoded() throws Exception {
        try (RawBackend raw = new RawBackend()) {
            serve(tracing(1.0), null, raw.port());
            TestClient.Response r = TestClient.get(proxy.port(), "/orders/1", "traceparent", "00-" + TRACE + "-" + CLIENT_SPAN + "-01",
                    "tracestate", "vendor=abc");
            assertThat(r.status()).isEqualTo(200);
            Span span = collector.next();
            assertThat(raw.requests).hasSize(1);
            RawBackend.Request seen = raw.requests.get(0);
            assertThat(seen.requestLine()).isEqualTo("GET /orders/1 HTTP/1.1");
            assertThat(seen.header("traceparent")).as("one field line: the client's trace, the proxy's span as parent")
                    .containsExactly("00-" + TRACE + "-" + hex(span.getSpanId()) + "-01");
            assertThat(seen.header("tracestate")).containsExactly("vendor=abc");
            assertThat(seen.header("content-length")).as("a GET without a body stays without framing").isEmpty();
            assertThat(seen.header("transfer-encoding")).isEmpty();
            assertThat(seen.body()).isEmpty();
            assertThat(raw.leftover()).as("nothing beyond the one framed request").isEmpty();
        }
    }

    @Test
    void withoutATraceparentANewTraceStartsAndReachesTheTarget() throws Exception {
        Backend backend = backend("b");
        serve(tracing(1.0), null, backend.port());
        assertThat(TestClient.get(proxy.port(), "/", "tracestate", "orphan=1").status()).isEqualTo(200);
        Span span = collector.next();
        assertThat(span.getParentSpanId().isEmpty()).as("a root span").isTrue();
        String traceparent = backend.seen.get(0).header("traceparent");
        // flags 03: sampled, and (W3C Trace Context Level 2) the trace id is random: the proxy made it
        assertThat(traceparent).isEqualTo("00-" + hex(span.getTraceId()) + "-" + hex(span.getSpanId()) + "-03");
        assertThat(backend.seen.get(0).header("tracestate")).as("no tracestate without a traceparent").isNull();
    }

    @Test
    void aMalformedTraceparentStartsANewTraceAndDropsTheTracestate() throws Exception {
        Backend backend = backend("b");
        serve(tracing(1.0), null, backend.port());
        String[] malformed = {"00-" + TRACE.toUpperCase() + "-" + CLIENT_SPAN + "-01", "00-" + "0".repeat(32) + "-" + CLIENT_SPAN + "-01",
                "ff-" + TRACE + "-" + CLIENT_SPAN + "-01", "00-" + TRACE + "-" + CLIENT_SPAN, "garbage"};
        for (String bad : malformed) {
            assertThat(TestClient.get(proxy.port(), "/", "traceparent", bad, "tracestate", "vendor=abc").status()).isEqualTo(200);
            Span span = collector.next();
            assertThat(span.getParentSpanId().isEmpty()).as("a root span for " + bad).isTrue();
            assertThat(hex(span.getTraceId())).isNotEqualTo(TRACE);
            Backend.Seen seen = backend.seen.get(backend.seen.size() - 1);
            assertThat(seen.header("traceparent")).as(bad)
                    .isEqualTo("00-" + hex(span.getTraceId()) + "-" + hex(span.getSpanId()) + "-03");
            assertThat(seen.header("tracestate")).as(bad).isNull();
        }
    }

    @Test
    void unsampledRequestsExportNothingAndForwardTheClientsTraceContextUnchanged() throws Exception {
        Backend backend = backend("b");
        serve(tracing(0.0), null, backend.port());
        String unsampled = "00-" + TRACE + "-" + CLIENT_SPAN + "-00";
        assertThat(TestClient.get(proxy.port(), "/a", "traceparent", unsampled, "tracestate", "vendor=abc").status()).isEqualTo(200);
        assertThat(TestClient.get(proxy.port(), "/b").status()).isEqualTo(200);
        // parent-based: a client that samples is honoured even at ratio 0; its span is the event to await
        String sampledTrace = "0af7651916cd43dd8448eb211c80319c";
        assertThat(TestClient.get(proxy.port(), "/c", "traceparent", "00-" + sampledTrace + "-" + CLIENT_SPAN + "-01").status())
                .isEqualTo(200);

        Span span = collector.next();
        assertThat(hex(span.getTraceId())).isEqualTo(sampledTrace);
        assertThat(collector.spans).as("only the sampled request has a span").isEmpty();

        Function<String, Backend.Seen> byPath = path -> backend.seen.stream().filter(s -> s.uri().equals(path)).findFirst().orElseThrow();
        assertThat(byPath.apply("/a").header("traceparent")).as("the client's, unchanged").isEqualTo(unsampled);
        assertThat(byPath.apply("/a").header("tracestate")).isEqualTo("vendor=abc");
        String fresh = byPath.apply("/b").header("traceparent");
        assertThat(fresh).as("a new trace, flagged unsampled (and random)").matches("00-[0-9a-f]{32}-[0-9a-f]{16}-02");
        assertThat(byPath.apply("/c").header("traceparent")).isEqualTo("00-" + sampledTrace + "-" + hex(span.getSpanId()) + "-01");
    }

    @Test
    void aFailedExchangeIsAnErrorSpan() throws Exception {
        serve(tracing(1.0), null, Backend.deadPort());
        assertThat(TestClient.get(proxy.port(), "/").status()).isEqualTo(502);
        Span span = collector.next();
        assertThat(attributes(span)).containsEntry("http.response.status_code", 502L);
        assertThat(span.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
    }

    @Test
    void tracingOffLeavesTheClientsHeadersAndTheLogAlone(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("access.log");
        Backend backend = backend("b");
        serve(TracingConfig.OFF, log, backend.port());
        String traceparent = "00-" + TRACE + "-" + CLIENT_SPAN + "-01";
        assertThat(TestClient.get(proxy.port(), "/", "traceparent", traceparent, "tracestate", "vendor=abc").status())
                .isEqualTo(200);
        assertThat(TestClient.get(proxy.port(), "/none").status()).isEqualTo(200);
        assertThat(backend.seen.get(0).header("traceparent")).isEqualTo(traceparent);
        assertThat(backend.seen.get(0).header("tracestate")).isEqualTo("vendor=abc");
        assertThat(backend.seen.get(1).header("traceparent")).isNull();
        proxy.close();
        proxy = null;
        assertThat(Fixtures.accessLog(log)).hasSize(2).allSatisfy(line -> assertThat(line.has("trace_id")).isFalse());
    }
}
