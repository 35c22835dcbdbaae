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
        assertThatThrownBy(() -> ChannelServerConfig.loopback(0).withCatchUpVersions(0))
                .hasMessage("--catch-up-versions: 0 (expected: 1..1024, the versions behind the latest a proxy may be and still "
                        + "get one delta)");
        assertThatThrownBy(() -> ChannelServerConfig.loopback(0).withCatchUpVersions(1025))
                .hasMessageStartingWith("--catch-up-versions: 1025 (expected: 1..1024");
        assertThat(ChannelServerConfig.loopback(0).catchUpVersions()).isEqualTo(32);
        assertThat(ChannelServerConfig.loopback(0).withCatchUpVersions(3).withMaxMessageBytes(1 << 20).catchUpVersions())
                .as("kept by the other withers").isEqualTo(3);
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
