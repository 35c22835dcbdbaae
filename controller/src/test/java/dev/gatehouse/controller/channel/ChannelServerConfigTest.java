package dev.gatehouse.controller.channel;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChannelServerConfigTest {

    @Test
    void theTokenNeverPrints() {
        ChannelServerConfig c = new ChannelServerConfig("0.0.0.0", 18000, "hunter2", null, null);
        assertThat(c.toString()).doesNotContain("hunter2").contains("token=[redacted]");
        assertThat(ChannelServerConfig.loopback(0).toString()).contains("token=none");
    }

    @Test
    void badValuesSayWhatWasExpected() {
        assertThatThrownBy(() -> new ChannelServerConfig("0.0.0.0", 70000, null, null, null))
                .hasMessage("port: 70000 (expected: 0..65535)");
        assertThatThrownBy(() -> new ChannelServerConfig("0.0.0.0", 1, " ", null, null))
                .hasMessage("token: blank (expected: a non-blank token, or null for no authentication)");
        assertThatThrownBy(() -> new ChannelServerConfig("0.0.0.0", 1, null, Path.of("cert.pem"), null))
                .hasMessage("tlsCert, tlsKey: only one given (expected: both for TLS, neither for plain)");
    }

    @Test
    void aTakenPortFailsAtStartAndLeavesNothingRunning() {
        try (ChannelServer first = ChannelServer.start(ChannelServerConfig.loopback(0))) {
            assertThatThrownBy(() -> ChannelServer.start(ChannelServerConfig.loopback(first.port())))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot listen on 127.0.0.1:" + first.port())
                    .hasMessageContaining("Address already in use");
        }
    }
}
