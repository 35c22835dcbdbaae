package dev.gatehouse.app;

import dev.gatehouse.proxy.Http2Config;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** The HTTP/2 flags of {@code local}, {@code demo} and {@code proxy}: defaults, switching h2c off, values out of range. */
class Http2OptionsTest {
    private static Http2Config parse(String... extra) {
        String[] args = new String[extra.length + 3];
        args[0] = "local";
        args[1] = "--dir";
        args[2] = "d";
        System.arraycopy(extra, 0, args, 3, extra.length);
        LocalCommand local = (LocalCommand) Gatehouse.commandLine().parseArgs(args).subcommand().commandSpec().userObject();
        return local.proxy.config().http2();
    }

    @Test
    void defaultsAreTheDocumentedOnes() {
        assertThat(parse()).isEqualTo(Http2Config.DEFAULTS);
        assertThat(Http2Config.DEFAULTS.enabled()).isTrue();
        assertThat(Http2Config.DEFAULTS.maxConcurrentStreams()).isEqualTo(100);
        assertThat(Http2Config.DEFAULTS.initialWindowSize()).isEqualTo(65_535);
    }

    @Test
    void h2cCanBeSwitchedOffAndTheLimitsSet() {
        assertThat(parse("--no-http2").enabled()).isFalse();
        assertThat(parse("--http2=false").enabled()).isFalse();
        assertThat(parse("--http2").enabled()).isTrue();
        Http2Config set = parse("--http2-max-concurrent-streams", "250", "--http2-initial-window-size", "1048576");
        assertThat(set.maxConcurrentStreams()).isEqualTo(250);
        assertThat(set.initialWindowSize()).isEqualTo(1 << 20);
        assertThat(set.connectionWindowSize()).isEqualTo(250 << 20);
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "--http2-max-concurrent-streams, 0, '--http2-max-concurrent-streams: 0 (expected: >= 1)'",
            "--http2-initial-window-size, 100, '--http2-initial-window-size: 100 (expected: 1024..2147483647)'"})
    void anOutOfRangeValueIsAUsageErrorNamingTheFlag(String flag, String value, String message) {
        StringWriter err = new StringWriter();
        CommandLine cli = Gatehouse.commandLine();
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute("local", "--dir", "does-not-matter", flag, value);
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).startsWith(message).doesNotContain("Exception").doesNotContain("\tat ");
    }
}
