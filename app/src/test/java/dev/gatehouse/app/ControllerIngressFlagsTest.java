package dev.gatehouse.app;

import dev.gatehouse.controller.k8s.IngressConfig;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code gatehouse controller}'s Ingress flags, as a user (or the chart) passes them. */
class ControllerIngressFlagsTest {
    static IngressConfig parse(String... args) {
        ControllerCommand cmd = new ControllerCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.ingressConfig();
    }

    @Test
    void defaultsFlagsAndOff() {
        assertThat(parse("--token-file", "t")).isEqualTo(IngressConfig.DEFAULT);
        assertThat(parse("--token-file", "t", "--ingress-class", "edge", "--publish-service", "gatehouse-system/gatehouse-proxy",
                "--publish-address", "203.0.113.7,lb.example.com", "--publish-address", "198.51.100.1"))
                .isEqualTo(new IngressConfig("edge", "gatehouse-system/gatehouse-proxy",
                        List.of("203.0.113.7", "lb.example.com", "198.51.100.1")));
        assertThat(parse("--token-file", "t", "--no-ingress")).isEqualTo(IngressConfig.OFF);
        assertThat(parse("--token-file", "t", "--no-ingress").enabled()).isFalse();
    }

    @Test
    void aBadValueIsAUsageErrorNamingTheFlag() {
        LocalCheckTest.Run r = LocalCheckTest.run("controller", "--token-file", "/nonexistent", "--publish-service", "gatehouse-proxy");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--publish-service: \"gatehouse-proxy\" (expected: NAMESPACE/NAME of the proxy Service");
    }

    @Test
    void helpListsTheFlags() {
        LocalCheckTest.Run r = LocalCheckTest.run("controller", "--help");
        assertThat(r.out()).contains("--[no-]ingress", "--ingress-class=NAME", "--publish-service=NS/NAME", "--publish-address=ADDR");
    }
}
