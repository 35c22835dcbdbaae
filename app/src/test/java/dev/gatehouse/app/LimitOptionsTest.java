package dev.gatehouse.app;

import dev.gatehouse.proxy.ClientLimits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The client-limit flags of {@code local}, {@code demo} and {@code proxy}: their defaults are
 * {@link ClientLimits#DEFAULTS}, and a value out of range is a usage error naming the flag (exit 2,
 * no stack trace), as picocli answers a value it cannot convert.
 */
class LimitOptionsTest {
    @Test
    void defaultsAreTheDocumentedOnes() {
        CommandLine cli = Gatehouse.commandLine();
        LocalCommand local = (LocalCommand) cli.parseArgs("local", "--dir", "d").subcommand().commandSpec().userObject();
        assertThat(local.proxy.config().limits()).isEqualTo(ClientLimits.DEFAULTS);
        assertThat(ClientLimits.DEFAULTS.requestHeadTimeout()).isEqualTo(Duration.ofSeconds(10));
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "--max-headers, 0, '--max-headers: 0 (expected: >= 1)'",
            "--max-connections, -1, '--max-connections: -1 (expected: >= 1)'",
            "--max-requests-per-connection, 0, '--max-requests-per-connection: 0 (expected: >= 1)'",
            "--max-request-line, 10, '--max-request-line: 10 (expected: >= 64)'",
            "--max-header-size, 100, '--max-header-size: 100 (expected: >= 256)'",
            "--client-idle-timeout, 0s, '--client-idle-timeout: PT0S (expected: > 0)'",
            "--request-head-timeout, 0s, '--request-head-timeout: PT0S (expected: > 0)'"})
    void anOutOfRangeValueIsAUsageErrorNamingTheFlag(String flag, String value, String message) {
        StringWriter err = new StringWriter();
        CommandLine cli = Gatehouse.commandLine();
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute("local", "--dir", "does-not-matter", flag, value);
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).startsWith(message).doesNotContain("Exception").doesNotContain("\tat ");
    }
}
