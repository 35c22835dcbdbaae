package dev.gatehouse.proxy.observe;

import io.micrometer.core.instrument.Counter;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the spans between their end (on the event loop) and their export (on the batch
 * thread), so that the bound of the {@link io.opentelemetry.sdk.trace.export.BatchSpanProcessor}'s
 * queue shows in Gatehouse's own metrics and log: a span that would exceed {@code capacity} is
 * dropped here, counted ({@code outcome=dropped}) and logged (rate-limited), before the batch
 * processor would drop it silently. What the collector does with a batch is counted as
 * {@code exported} or {@code failed}. One atomic add per span; no lock.
 */
final class BoundedSpanQueue {
    private static final Logger LOG = LoggerFactory.getLogger(BoundedSpanQueue.class);
    private static final RateLimitedLog DROPPED = RateLimitedLog.of(LOG, "tracing.span-dropped");
    private static final RateLimitedLog EXPORT_FAILED = RateLimitedLog.of(LOG, "tracing.export-failed");

    private final int capacity;
    private final SpanExporter exporter;
    private final Counter exported;
    private final Counter failed;
    private final Counter dropped;
    /** Spans ended and not yet handed to the exporter: at least what the batch processor's queue holds. */
    private final AtomicLong pending = new AtomicLong();

    BoundedSpanQueue(int capacity, SpanExporter exporter, Counter exported, Counter failed, Counter dropped) {
        this.capacity = capacity;
        this.exporter = exporter;
        this.exported = exported;
        this.failed = failed;
        this.dropped = dropped;
    }

    /** Wraps the batch processor: ended spans pass only while fewer than {@code capacity} wait. */
    SpanProcessor processor(SpanProcessor batches) {
        return new SpanProcessor() {
            @Override
            public void onStart(Context parentContext, ReadWriteSpan span) {
            }

            @Override
            public boolean isStartRequired() {
                return false;
            }

            @Override
            public void onEnd(ReadableSpan span) {
                if (pending.incrementAndGet() > capacity) {
                    pending.decrementAndGet();
                    dropped.increment();
                    DROPPED.warn("queue_size={} reason=\"the export queue is full: the collector is slow or unreachable\""
                            + " fix=\"check the collector, or raise --tracing-queue-size\"", capacity);
                    return;
                }
                batches.onEnd(span);
            }

            @Override
            public boolean isEndRequired() {
                return true;
            }

            @Override
            public CompletableResultCode shutdown() {
                return batches.shutdown();
            }

            @Override
            public CompletableResultCode forceFlush() {
                return batches.forceFlush();
            }
        };
    }

    /** Wraps the OTLP exporter: a batch leaves the count when it is handed over, and is counted by its outcome. */
    SpanExporter exporter() {
        return new SpanExporter() {
            @Override
            public CompletableResultCode export(Collection<SpanData> spans) {
                int n = spans.size();
                pending.addAndGet(-n);
                CompletableResultCode result = exporter.export(spans);
                result.whenComplete(() -> {
                    if (result.isSuccess()) {
                        exported.increment(n);
                    } else {
                        failed.increment(n);
                        Throwable cause = result.getFailureThrowable();
                        EXPORT_FAILED.warn("spans={} cause=\"{}\"", n, cause == null ? "refused or timed out" : cause.toString());
                    }
                });
                return result;
            }

            @Override
            public CompletableResultCode flush() {
                return exporter.flush();
            }

            @Override
            public CompletableResultCode shutdown() {
                return exporter.shutdown();
            }
        };
    }
}
