package dev.gatehouse.app;

import dev.gatehouse.proxy.UpstreamKeepalive;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code --upstream-keepalive-idle-timeout} and {@code --upstream-keepalive-max-requests}: how long the
 * proxy keeps its connections to targets, on every command that runs a proxy; 30 s and 10 000 unless given.
 */
class UpstreamKeepaliveOptionTest {

    @Test
    void theDefaultsAreThirtySecondsAndTenThousandRequestsOnEveryCommand() {
        for (String[] args : new String[][] {{"local", "--dir", "d"}, {"demo"},
                {"proxy", "--controller", "ws://c:18000", "--token-file", "t"}}) {
            assertThat(ProxyFlags.parse(args).config().upstreamKeepalive()).as(args[0])
                    .isEqualTo(new UpstreamKeepalive(Duration.ofSeconds(30), 10_000)).isEqualTo(UpstreamKeepalive.DEFAULTS);
        }
    }

    @Test
    void theFlagsSetTheKeepalive() {
        assertThat(ProxyFlags.parse("local", "--dir", "d", "--upstream-keepalive-idle-timeout", "4s",
                "--upstream-keepalive-max-requests", "100").config().upstreamKeepalive())
                .isEqualTo(new UpstreamKeepalive(Duration.ofSeconds(4), 100));
        String help = Gatehouse.commandLine().getSubcommands().get("proxy").getUsageMessage();
        assertThat(help).contains("--upstream-keepalive-idle-timeout=DURATION", "--upstream-keepalive-max-requests=N");
    }

    @Test
    void aValueOutOfRangeIsAUsageErrorNamingItsFlag() {
        assertThatThrownBy(() -> ProxyFlags.parse("local", "--dir", "d", "--upstream-keepalive-idle-timeout", "0s").config())
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessage("--upstream-keepalive-idle-timeout: PT0S (expected: at least 1ms)");
        assertThatThrownBy(() -> ProxyFlags.parse("local", "--dir", "d", "--upstream-keepalive-max-requests", "0").config())
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessage("--upstream-keepalive-max-requests: 0 (expected: at least 1)");
        assertThatThrownBy(() -> ProxyFlags.parse("local", "--dir", "d", "--upstream-keepalive-idle-timeout", "soon"))
                .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--upstream-keepalive-idle-timeout");
    }
}
