package dev.gatehouse.proxy;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.channel.Ack;
import dev.gatehouse.config.channel.Hello;
import dev.gatehouse.config.channel.Nack;
import dev.gatehouse.proxy.channel.ChannelClient;
import dev.gatehouse.proxy.channel.ChannelClientConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Over real sockets: a proxy never applies a snapshot older than the one it holds from the same
 * controller epoch. The stale push is NACKed (so the controller's one-answer-per-push exchange
 * goes on), counted in {@code gatehouse_channel_snapshots_stale_total}, and traffic keeps going
 * where the newer snapshot sends it; a push from a new epoch is applied whatever its version.
 */
class StaleSnapshotTest extends ProxyTestBase {
    private static final Duration WAIT = Duration.ofSeconds(20);

    /** Every request to / goes to the backend on {@code port}. */
    private static Snapshot to(long version, int port) {
        return Fixtures.snapshot(version, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").paths("/").build()), List.of(upstream("default/u", port)), List.of());
    }

    private String servedBy() throws Exception {
        TestClient.Response r = TestClient.get(proxy.port(), "/");
        assertThat(r.status()).isEqualTo(200);
        return r.header("x-backend");
    }

    private double staleCounter() {
        return proxy.metrics().registry().get("gatehouse.channel.snapshots.stale").functionCounter().count();
    }

    @Test
    void anOlderVersionFromTheSameEpochIsRefusedAndANewEpochStartsOver() throws Exception {
        Backend newer = backend("newer");
        Backend older = backend("older");
        proxy = ProxyServer.start(Fixtures.config());
        FakeController controller = new FakeController();
        closeables.add(0, controller);
        ChannelClient client = ChannelClient.start(ChannelClientConfig.of(controller.uri(), null, "p1"), proxy);
        closeables.add(0, client);
        client.bindMeters(proxy.metrics().registry());
        controller.next(Hello.class, WAIT);

        controller.push(to(1_000, newer.port()), "epoch-a");
        assertThat(controller.next(Ack.class, WAIT).version()).isEqualTo(1_000);
        assertThat(servedBy()).isEqualTo("newer");

        controller.push(to(999, older.port()), "epoch-a");
        Nack nack = controller.next(Nack.class, WAIT);
        assertThat(nack.version()).isEqualTo(999);
        assertThat(nack.errors()).singleElement().satisfies(e -> {
            assertThat(e.field()).isEqualTo("version");
            assertThat(e.message()).startsWith("999 (expected: >= 1000, the newest version this proxy applied from "
                    + "controller epoch epoch-a");
        });
        assertThat(proxy.current().version()).isEqualTo(1_000);
        assertThat(servedBy()).isEqualTo("newer");
        assertThat(staleCounter()).isEqualTo(1.0);

        controller.push(to(5, older.port()), "epoch-b"); // another replica, or the controller restarted
        assertThat(controller.next(Ack.class, WAIT).version()).isEqualTo(5);
        assertThat(servedBy()).isEqualTo("older");
        assertThat(staleCounter()).isEqualTo(1.0);
        assertThat(older.seen).isNotEmpty();
    }
}
