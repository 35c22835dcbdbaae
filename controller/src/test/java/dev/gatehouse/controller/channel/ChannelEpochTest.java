package dev.gatehouse.controller.channel;

import dev.gatehouse.config.channel.ChannelCodec;
import dev.gatehouse.config.channel.SnapshotPush;
import dev.gatehouse.proxy.channel.ChannelClient;
import dev.gatehouse.proxy.channel.ChannelClientConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The controller's epoch: random per server start, sent with every push. A proxy refuses an
 * older version only within one epoch, so a restarted controller (or another replica) whose
 * versions are lower is still obeyed.
 */
class ChannelEpochTest extends ChannelTestBase {

    @Test
    void everyPushCarriesTheServersEpochAndEveryStartMakesANewOne() {
        ChannelServer server = server();
        assertThat(server.epoch()).matches("[0-9a-f]{16}");
        assertThat(server().epoch()).isNotEqualTo(server.epoch());
        server.publish(Snapshots.v(1));
        RawPeer peer = track(new RawPeer(uri(server)));
        peer.sendText(RawPeer.hello("raw"));
        Poll.until("push received", () -> peer.texts.size() == 1);
        SnapshotPush push = (SnapshotPush) ChannelCodec.decode(RawPeer.utf8(peer.texts.get(0)));
        assertThat(push.epoch()).isEqualTo(server.epoch());
        assertThat(logs.containing("event=channel.listening").get(0)).contains("epoch=" + server.epoch());
    }

    @Test
    void aRestartedControllerWithLowerVersionsIsObeyedBecauseItsEpochIsNew() {
        ChannelServer first = ChannelServer.start(ChannelServerConfig.loopback(0));
        int port = first.port();
        String firstEpoch = first.epoch();
        MemorySink sink = new MemorySink();
        ChannelClient client = client(ChannelClientConfig.of(uri(first), null, "p1"), sink);
        first.publish(Snapshots.v(100));
        Poll.until(Duration.ofSeconds(10), "v100 applied", () -> client.lastAppliedVersion() == 100);
        first.close();

        ChannelServer second = server(ChannelServerConfig.loopback(port));
        second.publish(Snapshots.v(5));
        Poll.until(Duration.ofSeconds(20), "v5 from the new epoch applied", () -> client.lastAppliedVersion() == 5);
        assertThat(sink.current()).isEqualTo(Snapshots.v(5));
        Poll.until("acked", () -> oneProxyAcked(second, 5));
        assertThat(logs.containing("event=channel.connected proxy=p1")).last().asString()
                .contains("version=100 epoch=" + firstEpoch + " same-epoch=false");
        assertThat(logs.containing("event=channel.stale-snapshot")).isEmpty();
    }
}
