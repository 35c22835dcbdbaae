package dev.gatehouse.app;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ProcessMetersTest {
    @Test
    void exposesJvmAndProcessSeries() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (ProcessMeters ignored = ProcessMeters.bind(registry)) {
            System.gc();
            assertThat(registry.scrape()).contains("jvm_memory_used_bytes{", "jvm_threads_live_threads ", "process_cpu_usage ",
                    "process_uptime_seconds ", "jvm_classes_loaded_classes ");
        }
    }
}
