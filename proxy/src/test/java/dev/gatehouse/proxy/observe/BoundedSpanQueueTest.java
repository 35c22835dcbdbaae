package dev.gatehouse.proxy.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The export queue's bound and counters, and the settings' bounds. */
class BoundedSpanQueueTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Counter exported = registry.counter("exported");
    private final Counter failed = registry.counter("failed");
    private final Counter dropped = registry.counter("dropped");

    /** Records what reaches the batch processor. */
    private static final class Batches implements SpanProcessor {
        final List<ReadableSpan> ended = new ArrayList<>();

        @Override
        public void onStart(Context parentContext, ReadWriteSpan span) {
        }

        @Override
        public boolean isStartRequired() {
            return false;
        }

        @Override
        public void onEnd(ReadableSpan span) {
            ended.add(span);
        }

        @Override
        public boolean isEndRequired() {
            return true;
        }
    }

    /** Answers every export with {@code result}. */
    private static SpanExporter answering(CompletableResultCode result) {
        return new SpanExporter() {
            @Override
            public CompletableResultCode export(Collection<SpanData> spans) {
                return result;
            }

            @Override
            public CompletableResultCode flush() {
                return CompletableResultCode.ofSuccess();
            }

            @Override
            public CompletableResultCode shutdown() {
                return CompletableResultCode.ofSuccess();
            }
        };
    }

    private static List<SpanData> spans(int n) {
        return Collections.nCopies(n, null);
    }

    @Test
    void spansBeyondTheBoundAreDroppedAndCountedUntilABatchLeaves() {
        BoundedSpanQueue queue = new BoundedSpanQueue(2, answering(CompletableResultCode.ofSuccess()), exported, failed, dropped);
        Batches batches = new Batches();
        SpanProcessor p = queue.processor(batches);
        p.onEnd(null);
        p.onEnd(null);
        p.onEnd(null);
        assertThat(batches.ended).hasSize(2);
        assertThat(dropped.count()).isEqualTo(1);

        queue.exporter().export(spans(2));
        assertThat(exported.count()).isEqualTo(2);
        p.onEnd(null);
        assertThat(batches.ended).as("room again once the batch was handed over").hasSize(3);
        assertThat(dropped.count()).isEqualTo(1);
    }

    @Test
    void aBatchTheCollectorRefusesCountsAsFailed() {
        CompletableResultCode pending = new CompletableResultCode();
        BoundedSpanQueue queue = new BoundedSpanQueue(8, answering(pending), exported, failed, dropped);
        queue.exporter().export(spans(3));
        assertThat(failed.count()).as("not before the answer").isZero();
        pending.fail();
        assertThat(failed.count()).isEqualTo(3);
        assertThat(exported.count()).isZero();
    }

    @Test
    void settingsAreBoundedAndTheEndpointGetsTheTracesPath() {
        assertThat(TracingConfig.to(URI.create("http://collector:4318")).tracesUrl()).isEqualTo("http://collector:4318/v1/traces");
        assertThat(TracingConfig.to(URI.create("http://collector:4318/")).tracesUrl()).isEqualTo("http://collector:4318/v1/traces");
        assertThat(TracingConfig.to(URI.create("https://c/otlp/v1/traces")).tracesUrl()).isEqualTo("https://c/otlp/v1/traces");
        TracingConfig on = TracingConfig.to(URI.create("http://c:4318"));
        assertThatThrownBy(() -> on.withSampleRatio(1.5)).hasMessage("sampleRatio: 1.5 (expected: 0..1)");
        assertThatThrownBy(() -> on.withSampleRatio(Double.NaN)).hasMessageStartingWith("sampleRatio: NaN");
        assertThatThrownBy(() -> on.withQueueSize(0)).hasMessage("queueSize: 0 (expected: >= 1)");
        assertThatThrownBy(() -> on.withExportTimeout(Duration.ZERO)).hasMessageStartingWith("exportTimeout: PT0S");
        assertThatThrownBy(() -> TracingConfig.to(URI.create("ftp://c"))).hasMessageStartingWith("endpoint: ftp://c (expected:");
        assertThatThrownBy(() -> TracingConfig.to(URI.create("http://user:s3cret@c:4318")))
                .hasMessageStartingWith("endpoint: has user info").message().doesNotContain("s3cret");
        assertThat(TracingConfig.OFF.enabled()).isFalse();
        assertThat(TracingConfig.OFF).hasToString("off");
    }
}
