package dev.gatehouse.proxy.channel;

import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChannelClientConfigTest {

    @Test
    void theTokenNeverPrints() {
        ChannelClientConfig c = ChannelClientConfig.of(URI.create("ws://controller:9000/v1/channel"), "hunter2", "p1");
        assertThat(c.toString()).doesNotContain("hunter2").contains("token=[redacted]");
        assertThat(ChannelClientConfig.of(URI.create("ws://c/v1/channel"), null, "p1").toString()).contains("token=none");
    }

    @Test
    void portsDefaultByScheme() {
        assertThat(ChannelClientConfig.of(URI.create("ws://c/v1/channel"), null, "p").port()).isEqualTo(80);
        assertThat(wss("wss://c/v1/channel").port()).isEqualTo(443);
        assertThat(wss("wss://c:9443/v1/channel").port()).isEqualTo(9443);
        assertThat(wss("wss://c/v1/channel").tls()).isTrue();
    }

    private static ChannelClientConfig wss(String uri) {
        return new ChannelClientConfig(URI.create(uri), null, "p", null, false, java.nio.file.Path.of("ca.crt"));
    }

    @Test
    void wssNeedsAPinnedCaAndNeverFallsBackToTheJdkTrustStore() {
        assertThatThrownBy(() -> ChannelClientConfig.of(URI.create("wss://c:18000/v1/channel"), null, "p"))
                .hasMessage("caFile: missing for wss://c:18000/v1/channel (expected: the PEM file of the CA that signed the "
                        + "controller's channel certificate, --ca-file; the JDK's trust store is never used)");
        assertThat(new ChannelClientConfig(URI.create("wss://c/v1/channel"), null, "p", null, true, null).tls())
                .as("tests may skip verification explicitly").isTrue();
    }

    @Test
    void onlyWebSocketUrisWithAHostAndANamedProxy() {
        assertThatThrownBy(() -> ChannelClientConfig.of(URI.create("http://c/v1/channel"), null, "p"))
                .hasMessage("controller: http://c/v1/channel (expected: a ws:// or wss:// URI)");
        assertThatThrownBy(() -> ChannelClientConfig.of(URI.create("ws:///v1/channel"), null, "p"))
                .hasMessage("controller: ws:///v1/channel (expected: a host)");
        assertThatThrownBy(() -> ChannelClientConfig.of(URI.create("ws://c/v1/channel"), null, " "))
                .hasMessage("proxyId: blank (expected: a name, e.g. the pod name)");
    }
}
