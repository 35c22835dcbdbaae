package dev.gatehouse.proxy.observe;

import java.net.URI;
import java.time.Duration;
import java.util.Objects;

/**
 * Tracing (docs/tracing.md): where spans go, which requests get one, and the bounds of the export.
 * Off ({@link #OFF}, the default) when {@code endpoint} is null: the request path is then exactly
 * as without tracing (no span, no header touched).
 *
 * @param endpoint      the OTLP/HTTP traces URL ({@code --tracing-endpoint}); a URL without a path
 *                      gets {@code /v1/traces}, as an OpenTelemetry Collector serves it; null: off
 * @param sampleRatio   the share of new traces that get a span, 0..1; a client's traceparent
 *                      decides for its own requests (parent-based)
 * @param serviceName   the {@code service.name} of the spans' resource
 * @param queueSize     spans waiting for export at most; one more is dropped and counted
 * @param exportTimeout how long one export (a batch) may take before it counts as failed
 * @param batchDelay    how long a span may wait for its batch to fill before the batch is sent
 */
public record TracingConfig(URI endpoint, double sampleRatio, String serviceName, int queueSize, Duration exportTimeout,
                            Duration batchDelay) {
    public static final double DEFAULT_SAMPLE_RATIO = 1.0;
    public static final String DEFAULT_SERVICE_NAME = "gatehouse-proxy";
    /** The BatchSpanProcessor's own default. */
    public static final int DEFAULT_QUEUE_SIZE = 2048;
    public static final Duration DEFAULT_EXPORT_TIMEOUT = Duration.ofSeconds(10);
    /** The BatchSpanProcessor's own default. */
    public static final Duration DEFAULT_BATCH_DELAY = Duration.ofSeconds(5);
    /** No tracing. */
    public static final TracingConfig OFF = new TracingConfig(null, DEFAULT_SAMPLE_RATIO, DEFAULT_SERVICE_NAME,
            DEFAULT_QUEUE_SIZE, DEFAULT_EXPORT_TIMEOUT, DEFAULT_BATCH_DELAY);

    public TracingConfig {
        Objects.requireNonNull(serviceName, "serviceName");
        Objects.requireNonNull(exportTimeout, "exportTimeout");
        Objects.requireNonNull(batchDelay, "batchDelay");
        if (endpoint != null) {
            if (endpoint.getRawUserInfo() != null) {
                // said without the URL: the user info may hold a password
                throw new IllegalArgumentException("endpoint: has user info (expected: a URL without user:password@;"
                        + " let a collector next to the proxy authenticate to the backend)");
            }
            String scheme = endpoint.getScheme();
            if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme) || endpoint.getHost() == null) {
                throw new IllegalArgumentException("endpoint: " + endpoint
                        + " (expected: an http:// or https:// URL of an OTLP/HTTP receiver, e.g. http://otel-collector:4318)");
            }
        }
        if (!(sampleRatio >= 0 && sampleRatio <= 1)) {
            throw new IllegalArgumentException("sampleRatio: " + sampleRatio + " (expected: 0..1)");
        }
        if (serviceName.isBlank()) {
            throw new IllegalArgumentException("serviceName: empty (expected: a name, e.g. " + DEFAULT_SERVICE_NAME + ")");
        }
        if (queueSize < 1) {
            throw new IllegalArgumentException("queueSize: " + queueSize + " (expected: >= 1)");
        }
        if (exportTimeout.isNegative() || exportTimeout.isZero()) {
            throw new IllegalArgumentException("exportTimeout: " + exportTimeout + " (expected: > 0)");
        }
        if (batchDelay.isNegative() || batchDelay.isZero()) {
            throw new IllegalArgumentException("batchDelay: " + batchDelay + " (expected: > 0)");
        }
    }

    /** Tracing to {@code endpoint} with every other setting at its default. */
    public static TracingConfig to(URI endpoint) {
        return new TracingConfig(Objects.requireNonNull(endpoint, "endpoint"), DEFAULT_SAMPLE_RATIO, DEFAULT_SERVICE_NAME,
                DEFAULT_QUEUE_SIZE, DEFAULT_EXPORT_TIMEOUT, DEFAULT_BATCH_DELAY);
    }

    public boolean enabled() {
        return endpoint != null;
    }

    /** The URL the exporter posts to: the endpoint, with {@code /v1/traces} when it has no path. */
    public String tracesUrl() {
        String url = endpoint.toString();
        String path = endpoint.getRawPath();
        if (path == null || path.isEmpty() || path.equals("/")) {
            return (url.endsWith("/") ? url.substring(0, url.length() - 1) : url) + "/v1/traces";
        }
        return url;
    }

    public TracingConfig withSampleRatio(double ratio) {
        return new TracingConfig(endpoint, ratio, serviceName, queueSize, exportTimeout, batchDelay);
    }

    public TracingConfig withServiceName(String name) {
        return new TracingConfig(endpoint, sampleRatio, name, queueSize, exportTimeout, batchDelay);
    }

    public TracingConfig withQueueSize(int size) {
        return new TracingConfig(endpoint, sampleRatio, serviceName, size, exportTimeout, batchDelay);
    }

    public TracingConfig withExportTimeout(Duration timeout) {
        return new TracingConfig(endpoint, sampleRatio, serviceName, queueSize, timeout, batchDelay);
    }

    public TracingConfig withBatchDelay(Duration delay) {
        return new TracingConfig(endpoint, sampleRatio, serviceName, queueSize, exportTimeout, delay);
    }

    /** For the startup log line: the URL (never has a secret: no headers are configurable) or {@code off}. */
    @Override
    public String toString() {
        return endpoint == null ? "off" : tracesUrl() + " ratio=" + sampleRatio + " service=" + serviceName;
    }
}
