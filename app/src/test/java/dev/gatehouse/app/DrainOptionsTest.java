package dev.gatehouse.app;

import dev.gatehouse.proxy.ProxyConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.StringWriter;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code --drain-delay} and {@code --drain-timeout} on every command that runs a proxy, their
 * defaults (5 s, 30 s), and {@code --shutdown-grace SECONDS}, kept as a deprecated alias of
 * {@code --drain-timeout} so existing command lines still start.
 */
class DrainOptionsTest {
    private final StringWriter err = new StringWriter();

    private ProxyOptions parse(String... args) {
        return ProxyFlags.parse(err, args);
    }


    @Test
    void defaultsAreFiveSecondsOfDelayAndThirtyOfTimeout() {
        for (String[] args : new String[][] {{"local", "--dir", "d"}, {"demo"},
                {"proxy", "--controller", "ws://c:18000", "--token-file", "t"}}) {
            ProxyConfig config = parse(args).config();
            assertThat(config.drainDelay()).as(args[0]).isEqualTo(Duration.ofSeconds(5));
            assertThat(config.drainTimeout()).as(args[0]).isEqualTo(Duration.ofSeconds(30));
            assertThat(parse(args).shutdownBudget()).as("a signal's close may take the drain and a margin")
                    .isEqualTo(Duration.ofSeconds(5 + 30).plus(Shutdown.TEARDOWN_MARGIN));
        }
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void theFlagsTakeDurations() {
        ProxyConfig config = parse("local", "--dir", "d", "--drain-delay", "1500ms", "--drain-timeout", "2m").config();
        assertThat(config.drainDelay()).isEqualTo(Duration.ofMillis(1500));
        assertThat(config.drainTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThatThrownBy(() -> parse("local", "--dir", "d", "--drain-delay", "soon"))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--drain-delay")
                .hasMessageContaining("is not a duration");
    }

    @Test
    void shutdownGraceIsADeprecatedAliasOfTheDrainTimeout() {
        ProxyConfig config = parse("local", "--dir", "d", "--shutdown-grace", "7").config();
        assertThat(config.drainTimeout()).isEqualTo(Duration.ofSeconds(7));
        assertThat(config.drainDelay()).isEqualTo(Duration.ofSeconds(5));
        assertThat(err.toString()).contains("--shutdown-grace is deprecated").contains("use --drain-timeout 7s");

        ProxyOptions both = parse("local", "--dir", "d", "--shutdown-grace", "7", "--drain-timeout", "20s");
        assertThatThrownBy(both::config).isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("give only --drain-timeout 20s");
    }

    @Test
    void helpShowsTheDrainFlagsAndHidesTheAlias() {
        String help = Gatehouse.commandLine().getSubcommands().get("proxy").getUsageMessage();
        assertThat(help).contains("--drain-delay=DURATION").contains("--drain-timeout=DURATION").doesNotContain("--shutdown-grace");
    }
}
