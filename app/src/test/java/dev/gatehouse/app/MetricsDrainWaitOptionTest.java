package dev.gatehouse.app;

import dev.gatehouse.proxy.ProxyConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code --metrics-drain-wait}: how long a scrape of {@code /metrics} waits for the event loops'
 * request timers, on every command that runs a proxy; 2 s unless given.
 */
class MetricsDrainWaitOptionTest {

    @Test
    void theDefaultIsTwoSecondsOnEveryCommand() {
        for (String[] args : new String[][] {{"local", "--dir", "d"}, {"demo"},
                {"proxy", "--controller", "ws://c:18000", "--token-file", "t"}}) {
            assertThat(ProxyFlags.parse(args).config().metricsDrainWait()).as(args[0])
                    .isEqualTo(Duration.ofSeconds(2)).isEqualTo(ProxyConfig.DEFAULT_METRICS_DRAIN_WAIT);
        }
    }

    @Test
    void theFlagTakesADuration() {
        assertThat(ProxyFlags.parse("local", "--dir", "d", "--metrics-drain-wait", "500ms").config().metricsDrainWait())
                .isEqualTo(Duration.ofMillis(500));
        assertThatThrownBy(() -> ProxyFlags.parse("local", "--dir", "d", "--metrics-drain-wait", "soon"))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--metrics-drain-wait");
        String help = Gatehouse.commandLine().getSubcommands().get("proxy").getUsageMessage();
        assertThat(help).contains("--metrics-drain-wait=DURATION");
    }
}
