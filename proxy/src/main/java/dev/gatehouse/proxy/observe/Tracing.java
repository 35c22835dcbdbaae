package dev.gatehouse.proxy.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapSetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * W3C Trace Context (traceparent, tracestate) and one SERVER span per request, exported over
 * OTLP/HTTP by the OpenTelemetry SDK (docs/tracing.md). Spans start and end on the event loop;
 * the {@link BatchSpanProcessor}'s thread batches them and the JDK HTTP client sends them, so a
 * slow or absent collector never holds up a request: spans beyond the queue are dropped and
 * counted ({@link BoundedSpanQueue}). Shared by all event loops; the tracer, sampler and
 * propagator are built once.
 *
 * <p>Propagation upstream: a sampled request's traceparent is replaced by the proxy's span (same
 * trace id, the proxy's span id, so the target's spans are children of the proxy's); tracestate
 * goes on as the client sent it (as parsed by the propagator). An unsampled request with a valid
 * client traceparent forwards the client's headers untouched; without a valid one it gets a new
 * trace id, flagged unsampled, and a malformed client's tracestate is dropped (W3C Trace Context §3.3).
 */
public final class Tracing implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Tracing.class);
    static final String TRACEPARENT = "traceparent";
    static final String TRACESTATE = "tracestate";
    static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
    static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
    static final AttributeKey<String> ROUTE = AttributeKey.stringKey("gatehouse.route");
    static final AttributeKey<String> SERVICE = AttributeKey.stringKey("gatehouse.service");
    static final AttributeKey<String> TARGET = AttributeKey.stringKey("gatehouse.target");
    static final AttributeKey<Long> RETRIES = AttributeKey.longKey("gatehouse.retries");
    static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("gatehouse.request_id");
    private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
    private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();

    private static final TextMapGetter<HttpHeaders> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(HttpHeaders carrier) {
            return carrier.names();
        }

        @Override
        public String get(HttpHeaders carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };
    private static final TextMapSetter<HttpHeaders> SETTER = (carrier, key, value) -> {
        if (carrier != null) {
            carrier.set(key, value);
        }
    };

    private final TracingConfig config;
    private final SdkTracerProvider provider;
    private final Tracer tracer;

    private Tracing(TracingConfig config, SdkTracerProvider provider) {
        this.config = config;
        this.provider = provider;
        this.tracer = provider.get("dev.gatehouse.proxy");
    }

    /**
     * The tracer of {@code config}, or null when tracing is off. Counts spans in
     * {@code gatehouse_tracing_spans_total{outcome=exported|failed|dropped}}.
     */
    public static Tracing start(TracingConfig config, MeterRegistry registry) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(registry, "registry");
        if (!config.enabled()) {
            return null;
        }
        OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder()
                .setEndpoint(config.tracesUrl())
                .setTimeout(config.exportTimeout())
                .setMeterProvider(MeterProvider.noop()) // counted by BoundedSpanQueue; never the global OpenTelemetry
                .build();
        BoundedSpanQueue queue = new BoundedSpanQueue(config.queueSize(), exporter, counter(registry, "exported"),
                counter(registry, "failed"), counter(registry, "dropped"));
        BatchSpanProcessor batches = BatchSpanProcessor.builder(queue.exporter())
                .setMaxQueueSize(config.queueSize())
                .setMaxExportBatchSize(Math.min(512, config.queueSize()))
                .setScheduleDelay(config.batchDelay())
                .setExporterTimeout(config.exportTimeout())
                .build();
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(SERVICE_NAME, config.serviceName()))))
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(config.sampleRatio())))
                .addSpanProcessor(queue.processor(batches))
                .build();
        LOG.info("event=tracing.started endpoint={} sample_ratio={} service_name={} queue_size={} export_timeout_ms={}",
                config.tracesUrl(), config.sampleRatio(), config.serviceName(), config.queueSize(),
                config.exportTimeout().toMillis());
        return new Tracing(config, provider);
    }

    private static Counter counter(MeterRegistry registry, String outcome) {
        return Counter.builder("gatehouse.tracing.spans")
                .description("Spans by what became of them: exported, failed (the collector refused or did not answer), "
                        + "dropped (the export queue was full)")
                .tag("outcome", outcome).register(registry);
    }

    /**
     * Starts the request's span, a child of the client's traceparent when it is valid (its sampled
     * flag decides), else the root of a new trace (the ratio decides). Call on the event loop
     * before the head is rewritten.
     */
    void begin(RequestRecord record, String method, HttpHeaders clientHeaders) {
        Context parent = W3C.extract(Context.root(), clientHeaders, GETTER);
        boolean remote = Span.fromContext(parent).getSpanContext().isValid();
        Span span = tracer.spanBuilder(method)
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setAttribute(METHOD, method)
                .startSpan();
        record.traced(span, remote);
    }

    /** Writes the trace context the target is to see into the upstream head (see the class comment). */
    static void propagate(Span span, boolean remoteParent, HttpHeaders upstream) {
        if (remoteParent && !span.getSpanContext().isSampled()) {
            return;
        }
        if (!remoteParent) {
            upstream.remove(TRACESTATE);
        }
        W3C.inject(Context.root().with(span), upstream, SETTER);
    }

    /** Ends the span with what the access log says of the request. Call once, when the record is finished. */
    static void end(Span span, String method, String route, String service, String target, int status, int retries,
                    String requestId) {
        if (!span.isRecording()) {
            return;
        }
        if (route != null) {
            // {method} {route}, as the HTTP semantic conventions name a server span; the route id is low-cardinality
            span.updateName(method + " " + route);
            span.setAttribute(ROUTE, route);
        }
        if (service != null) {
            span.setAttribute(SERVICE, service);
        }
        if (target != null) {
            span.setAttribute(TARGET, target);
        }
        if (requestId != null) {
            span.setAttribute(REQUEST_ID, requestId);
        }
        span.setAttribute(STATUS, (long) status);
        span.setAttribute(RETRIES, (long) retries);
        if (status >= 500) {
            // a server span is an error only for the server's own failures (OpenTelemetry HTTP semantic conventions)
            span.setStatus(StatusCode.ERROR);
        }
        span.end();
    }

    /** Sends what is queued, waiting at most the export timeout. */
    @Override
    public void close() {
        provider.shutdown().join(config.exportTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        LOG.info("event=tracing.stopped endpoint={}", config.tracesUrl());
    }
}
