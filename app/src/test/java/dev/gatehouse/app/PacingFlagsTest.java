package dev.gatehouse.app;

import dev.gatehouse.controller.channel.ChannelServerConfig;
import dev.gatehouse.controller.files.LocalSource;
import dev.gatehouse.controller.k8s.ControllerConfig;
import dev.gatehouse.controller.translate.ClusterStore;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The knobs of five limits, as a user passes them: {@code gatehouse controller
 * --status-quiet-after-publish}, {@code --status-max-delay}, {@code --deleted-names-remembered} and
 * {@code --catch-up-versions}, {@code gatehouse local --settle}: their defaults, their values reaching the settings the controller and local mode are
 * built from, and a bad value a usage error (exit 2) naming the flag.
 */
class PacingFlagsTest {
    static ControllerCommand controller(String... args) {
        ControllerCommand cmd = new ControllerCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd;
    }

    @Test
    void theControllerFlagsDefaultsAndValues() {
        ControllerCommand defaults = controller("--token-file", "t");
        assertThat(defaults.statusRate()).isEqualTo(ControllerConfig.StatusRate.of(50)
                .withStartupHold(ControllerConfig.StatusRate.DEFAULT_STARTUP_HOLD));
        assertThat(defaults.statusRate().startupHold()).as("the command holds the start-up pass, 30 s at most")
                .isEqualTo(Duration.ofSeconds(30));
        assertThat(controller("--token-file", "t", "--status-startup-hold", "0ms").statusRate().startupHold()).isZero();
        assertThat(defaults.statusRate().quietAfterPublish()).isEqualTo(ControllerConfig.StatusRate.DEFAULT_QUIET);
        assertThat(defaults.deletedNamesRemembered()).isEqualTo(ClusterStore.DEFAULT_TOMBSTONES);
        assertThat(defaults.statusRate().maxDelay()).isEqualTo(ControllerConfig.StatusRate.DEFAULT_MAX_DELAY);
        assertThat(defaults.channelConfig("t").catchUpVersions()).isEqualTo(ChannelServerConfig.DEFAULT_CATCH_UP_VERSIONS);

        ControllerCommand set = controller("--token-file", "t", "--status-quiet-after-publish", "250ms",
                "--deleted-names-remembered", "2", "--status-writes-per-second", "500");
        assertThat(set.statusRate()).isEqualTo(new ControllerConfig.StatusRate(500, 1000, Duration.ofMillis(250))
                .withStartupHold(ControllerConfig.StatusRate.DEFAULT_STARTUP_HOLD));
        assertThat(controller("--token-file", "t", "--status-max-delay", "30s").statusRate().maxDelay())
                .isEqualTo(Duration.ofSeconds(30));
        assertThat(controller("--token-file", "t", "--catch-up-versions", "128").channelConfig("t").catchUpVersions())
                .isEqualTo(128);
        assertThat(set.deletedNamesRemembered()).isEqualTo(2);
        assertThat(ControllerConfig.defaults(java.util.List.of(), "ns", "a").withDeletedNamesRemembered(set.deletedNamesRemembered())
                .deletedNamesRemembered()).isEqualTo(2);
        assertThat(defaults.replicaReportInterval()).isEqualTo(ControllerConfig.DEFAULT_REPORT_INTERVAL).isEqualTo(Duration.ofSeconds(1));
        assertThat(controller("--token-file", "t", "--replica-report-interval", "250ms").replicaReportInterval())
                .isEqualTo(Duration.ofMillis(250));
        assertThat(controller("--token-file", "t", "--status-quiet-after-publish", "0ms").statusRate().quietAfterPublish())
                .as("no pause after a publish (still none during one)").isZero();
    }

    @Test
    void aBadValueIsAUsageErrorNamingTheFlag() {
        LocalCheckTest.Run quiet = LocalCheckTest.run("controller", "--token-file", "/nonexistent", "--status-quiet-after-publish", "11s");
        assertThat(quiet.exit()).isEqualTo(2);
        assertThat(quiet.err()).contains("--status-quiet-after-publish: 11000ms (expected: 0ms..10s)");
        LocalCheckTest.Run hold = LocalCheckTest.run("controller", "--token-file", "/nonexistent", "--status-startup-hold", "11m");
        assertThat(hold.exit()).isEqualTo(2);
        assertThat(hold.err()).contains("--status-startup-hold: 660000ms (expected: 0ms..10m; 0ms: no hold)");
        LocalCheckTest.Run tombstones = LocalCheckTest.run("controller", "--token-file", "/nonexistent", "--deleted-names-remembered", "0");
        assertThat(tombstones.exit()).isEqualTo(2);
        assertThat(tombstones.err()).contains("--deleted-names-remembered: 0 (expected: 1..4194304)");
        LocalCheckTest.Run maxDelay = LocalCheckTest.run("controller", "--token-file", "/nonexistent", "--status-max-delay", "50ms");
        assertThat(maxDelay.exit()).isEqualTo(2);
        assertThat(maxDelay.err()).contains("--status-max-delay: 50ms (expected: 100ms..10m)");
        LocalCheckTest.Run catchUp = LocalCheckTest.run("controller", "--token-file", "/nonexistent", "--catch-up-versions", "0");
        assertThat(catchUp.exit()).isEqualTo(2);
        assertThat(catchUp.err()).contains("--catch-up-versions: 0 (expected: 1..1024");
        LocalCheckTest.Run report = LocalCheckTest.run("controller", "--token-file", "/nonexistent", "--replica-report-interval", "2m");
        assertThat(report.exit()).isEqualTo(2);
        assertThat(report.err()).contains("--replica-report-interval: 120000ms (expected: 10ms..1m)");
        LocalCheckTest.Run settle = LocalCheckTest.run("local", "--dir", "/nonexistent", "--settle", "20s");
        assertThat(settle.exit()).isEqualTo(2);
        assertThat(settle.err()).contains("--settle: 20000ms (expected: 0ms..10s)");
    }

    @Test
    void helpListsTheFlagsWithTheirDefaults() {
        assertThat(LocalCheckTest.run("controller", "--help").out()).contains("--status-quiet-after-publish=DURATION",
                "Default: 100ms", "--deleted-names-remembered=N", "Default: 16384", "--status-max-delay=DURATION",
                "Default: 3s", "--catch-up-versions=N", "Default: 32", "--replica-report-interval=DURATION", "Default: 1s");
        assertThat(LocalCheckTest.run("local", "--help").out()).contains("--settle=DURATION", "Default: 25ms");
        assertThat(LocalSource.SETTLE).isEqualTo(Duration.ofMillis(25));
    }
}
