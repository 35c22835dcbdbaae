package dev.gatehouse.app;

import dev.gatehouse.proxy.observe.TracingConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The tracing flags of {@code local}, {@code demo} and {@code proxy}: off by default, on with an endpoint, bounded. */
class TracingOptionsTest {
    private static TracingConfig parse(String command, String... extra) {
        String[] args = new String[extra.length + 1];
        args[0] = command;
        System.arraycopy(extra, 0, args, 1, extra.length);
        return ProxyFlags.parse(args).config().tracing();
    }

    @Test
    void offWithoutAnEndpointAndOnWithOneOnEveryCommandThatRunsAProxy() {
        assertThat(parse("local", "--dir", "d")).isEqualTo(TracingConfig.OFF);
        assertThat(parse("local", "--dir", "d", "--tracing-sample-ratio", "0.5").enabled()).as("a ratio alone").isFalse();
        TracingConfig on = parse("local", "--dir", "d", "--tracing-endpoint", "http://otel:4318", "--tracing-sample-ratio", "0.25",
                "--tracing-service-name", "edge", "--tracing-queue-size", "100", "--tracing-export-timeout", "2s",
                "--tracing-batch-delay", "250ms");
        assertThat(on.endpoint()).isEqualTo(URI.create("http://otel:4318"));
        assertThat(on.tracesUrl()).isEqualTo("http://otel:4318/v1/traces");
        assertThat(on.sampleRatio()).isEqualTo(0.25);
        assertThat(on.serviceName()).isEqualTo("edge");
        assertThat(on.queueSize()).isEqualTo(100);
        assertThat(on.exportTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(on.batchDelay()).isEqualTo(Duration.ofMillis(250));
        TracingConfig defaults = parse("demo", "--tracing-endpoint", "http://otel:4318");
        assertThat(defaults).isEqualTo(TracingConfig.to(URI.create("http://otel:4318")));
        assertThat(defaults.sampleRatio()).isEqualTo(1.0);
        assertThat(defaults.queueSize()).isEqualTo(2048);
        assertThat(defaults.batchDelay()).isEqualTo(Duration.ofSeconds(5));
        assertThat(parse("proxy", "--controller", "ws://c:9000/channel", "--token-file", "/t", "--tracing-endpoint", "https://o/v1/traces")
                .enabled()).isTrue();
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "--tracing-sample-ratio, 1.5, '--tracing-sample-ratio: 1.5 (expected: 0..1)'",
            "--tracing-queue-size, 0, '--tracing-queue-size: 0 (expected: >= 1)'",
            "--tracing-export-timeout, 0s, '--tracing-export-timeout: PT0S (expected: > 0)'",
            "--tracing-batch-delay, 0s, '--tracing-batch-delay: PT0S (expected: > 0)'"})
    void anOutOfRangeValueIsAUsageErrorNamingTheFlag(String flag, String value, String message) {
        StringWriter err = new StringWriter();
        CommandLine cli = Gatehouse.commandLine();
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute("local", "--dir", "does-not-matter", "--tracing-endpoint", "http://otel:4318", flag, value);
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).startsWith(message).doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void anEndpointThatIsNotAnHttpUrlIsAUsageError() {
        StringWriter err = new StringWriter();
        CommandLine cli = Gatehouse.commandLine();
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute("local", "--dir", "does-not-matter", "--tracing-endpoint", "otel:4318");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).startsWith("--tracing-endpoint: otel:4318 (expected: an http:// or https:// URL");
    }
}
