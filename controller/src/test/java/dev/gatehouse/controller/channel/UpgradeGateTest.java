package dev.gatehouse.controller.channel;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class UpgradeGateTest {
    private static final String TOKEN = "gate-token-51";

    private static FullHttpRequest upgrade(String uri, String authorization) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri);
        if (authorization != null) {
            r.headers().set(HttpHeaderNames.AUTHORIZATION, authorization);
        }
        return r;
    }

    private static String refusal(String uri, String authorization, String token) {
        EmbeddedChannel ch = new EmbeddedChannel(new UpgradeGate(UpgradeGate.digest(token)));
        ch.writeInbound(upgrade(uri, authorization));
        assertThat((Object) ch.readInbound()).as("request passed on").isNull();
        FullHttpResponse response = ch.readOutbound();
        try {
            assertThat(ch.isOpen()).as("closed after the answer").isFalse();
            assertThat(response.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
            return response.status().code() + " " + response.content().toString(StandardCharsets.UTF_8);
        } finally {
            response.release();
            ch.finishAndReleaseAll();
        }
    }

    private static void passes(String uri, String authorization, String token) {
        EmbeddedChannel ch = new EmbeddedChannel(new UpgradeGate(UpgradeGate.digest(token)));
        ch.writeInbound(upgrade(uri, authorization));
        FullHttpRequest passed = ch.readInbound();
        assertThat(passed).isNotNull();
        passed.release();
        assertThat(ch.pipeline().get(UpgradeGate.class)).as("gate removed after the upgrade request").isNull();
        assertThat((Object) ch.readOutbound()).isNull();
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    @Test
    void theRightTokenPassesAndTheGateStepsAside() {
        passes("/v1/channel", "Bearer " + TOKEN, TOKEN);
        passes("/v1/channel?x=1", "bearer " + TOKEN, TOKEN);
        passes("/v1/channel", "Bearer   " + TOKEN + " ", TOKEN);
    }

    @Test
    void withoutATokenConfiguredAnyoneOnThePathPasses() {
        passes("/v1/channel", null, null);
        passes("/v1/channel", "Bearer whatever", null);
    }

    @Test
    void aMissingWrongOrNonBearerTokenIs401() {
        assertThat(refusal("/v1/channel", null, TOKEN)).isEqualTo("401 unauthorized\n");
        assertThat(refusal("/v1/channel", "Bearer " + TOKEN + "x", TOKEN)).isEqualTo("401 unauthorized\n");
        assertThat(refusal("/v1/channel", "Bearer", TOKEN)).isEqualTo("401 unauthorized\n");
        assertThat(refusal("/v1/channel", "Basic " + TOKEN, TOKEN)).isEqualTo("401 unauthorized\n");
        assertThat(refusal("/v1/channel", TOKEN, TOKEN)).isEqualTo("401 unauthorized\n");
    }

    @Test
    void anotherPathIs404EvenWithTheToken() {
        assertThat(refusal("/v1/channelx", "Bearer " + TOKEN, TOKEN)).startsWith("404 not found");
        assertThat(refusal("/", null, null)).startsWith("404 not found");
    }
}
