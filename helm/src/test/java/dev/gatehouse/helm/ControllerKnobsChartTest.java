package dev.gatehouse.helm;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The controller's status pacing, kept-state and catch-up knobs as chart values
 * ({@code controller.status.*}, {@code controller.deletedNamesRemembered},
 * {@code controller.catchUpVersions}, {@code controller.replicaReportInterval}): none passed by default (the controller's own defaults
 * hold), each set one the flag it names with its value, and helm refuses a value the controller
 * would refuse at start.
 */
class ControllerKnobsChartTest {
    static final List<String> FLAGS = List.of("--status-writes-per-second", "--status-quiet-after-publish", "--status-max-delay",
            "--status-startup-hold", "--deleted-names-remembered", "--catch-up-versions", "--replica-report-interval");

    private static List<String> controllerArgs(List<HasMetadata> objects) {
        Deployment d = Chart.one(objects, Deployment.class, "gatehouse-controller");
        return d.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
    }

    @Test
    void noneByDefault() {
        assertThat(controllerArgs(Chart.parse(Chart.renderDefault()))).doesNotContainAnyElementsOf(FLAGS);
    }

    @Test
    void eachValueBecomesItsFlag() {
        List<String> args = controllerArgs(Chart.parse(Chart.template()
                .set("controller.status.writesPerSecond", 500)
                .set("controller.status.quietAfterPublish", "250ms")
                .set("controller.status.maxDelay", "10s")
                .set("controller.status.startupHold", "45s")
                .set("controller.deletedNamesRemembered", 65536)
                .set("controller.catchUpVersions", 128)
                .set("controller.replicaReportInterval", "250ms")
                .set("controller.extraArgs[0]", "--lease-namespace")
                .set("controller.extraArgs[1]", "other").call()));
        assertThat(args).containsSequence("--status-writes-per-second", "500")
                .containsSequence("--status-quiet-after-publish", "250ms")
                .containsSequence("--status-max-delay", "10s")
                .containsSequence("--status-startup-hold", "45s")
                .containsSequence("--deleted-names-remembered", "65536")
                .containsSequence("--catch-up-versions", "128")
                .containsSequence("--replica-report-interval", "250ms")
                .as("extraArgs still come last").endsWith("--lease-namespace", "other");
    }

    @Test
    void helmRefusesWhatTheControllerWouldRefuse() {
        assertThatThrownBy(() -> Chart.template().set("controller.status.writesPerSecond", 0).call())
                .hasMessageContaining("controller.status.writesPerSecond");
        assertThatThrownBy(() -> Chart.template().set("controller.status.quietAfterPublish", "100").call())
                .hasMessageContaining("controller.status.quietAfterPublish");
        assertThatThrownBy(() -> Chart.template().set("controller.status.maxDelay", "soon").call())
                .hasMessageContaining("controller.status.maxDelay");
        assertThatThrownBy(() -> Chart.template().set("controller.status.startupHold", "30").call())
                .hasMessageContaining("controller.status.startupHold");
        assertThatThrownBy(() -> Chart.template().set("controller.deletedNamesRemembered", 0).call())
                .hasMessageContaining("controller.deletedNamesRemembered");
        assertThatThrownBy(() -> Chart.template().set("controller.catchUpVersions", 1025).call())
                .hasMessageContaining("controller.catchUpVersions");
        assertThatThrownBy(() -> Chart.template().set("controller.replicaReportInterval", "often").call())
                .hasMessageContaining("controller.replicaReportInterval");
    }
}
