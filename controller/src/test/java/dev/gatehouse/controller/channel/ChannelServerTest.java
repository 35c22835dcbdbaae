package dev.gatehouse.controller.channel;

import dev.gatehouse.config.Problem;

import dev.gatehouse.config.SnapshotCodec;
import dev.gatehouse.config.channel.ObjectError;
import dev.gatehouse.proxy.channel.ChannelClient;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChannelServerTest extends ChannelTestBase {

    /** Records listener calls as short strings, e.g. {@code ack p1 3}. */
    static final class Recorder implements ChannelListener {
        final List<String> calls = new CopyOnWriteArrayList<>();
        volatile List<ObjectError> lastErrors;

        @Override
        public void onAck(String proxyId, long version) {
            calls.add("ack " + proxyId + " " + version);
        }

        @Override
        public void onNack(String proxyId, long version, List<ObjectError> errors) {
            lastErrors = errors;
            calls.add("nack " + proxyId + " " + version);
        }

        @Override
        public void onConnect(String proxyId) {
            calls.add("connect " + proxyId);
        }

        @Override
        public void onDisconnect(String proxyId) {
            calls.add("disconnect " + proxyId);
        }
    }

    @Test
    void samplesAreValidSnapshots() {
        assertThat(Snapshots.v(1).validate()).isEmpty();
        assertThat(SnapshotCodec.contentHash(Snapshots.v(1))).isNotEqualTo(SnapshotCodec.contentHash(Snapshots.v(2)));
    }

    @Test
    void pushIsAppliedAndAcknowledged() {
        ChannelServer server = server();
        Recorder recorder = new Recorder();
        server.addListener(recorder);
        MemorySink sink = new MemorySink();
        ChannelClient client = client(server, "p1", sink);
        Poll.until("proxy connected", () -> server.connectedCount() == 1 && client.connected());
        assertThat(server.allAcked(1)).isFalse();

        server.publish(Snapshots.v(1));
        Poll.until("v1 acknowledged", () -> oneProxyAcked(server, 1));
        assertThat(sink.current()).isEqualTo(Snapshots.v(1));
        assertThat(client.lastAppliedVersion()).isEqualTo(1);
        assertThat(server.allAcked(2)).isFalse();

        ProxyState state = server.proxies().get(0);
        assertThat(state.proxyId()).isEqualTo("p1");
        assertThat(state.remoteAddress()).startsWith("127.0.0.1:");
        assertThat(state.connectedSince()).isNotNull();
        assertThat(state.lastPushedVersion()).isEqualTo(1);
        assertThat(state.lastAckedVersion()).isEqualTo(1);
        assertThat(state.lastNack()).isNull();

        server.publish(Snapshots.v(2));
        Poll.until("v2 acknowledged", () -> oneProxyAcked(server, 2));
        assertThat(sink.offered()).containsExactly(1L, 2L);
        Poll.until("listener saw both acks", () -> recorder.calls.contains("ack p1 2"));
        assertThat(recorder.calls).containsExactly("connect p1", "ack p1 1", "ack p1 2");

        client.close();
        Poll.until("server saw the disconnect", () -> server.connectedCount() == 0);
        Poll.until("listener saw the disconnect", () -> recorder.calls.contains("disconnect p1"));
        assertThat(server.allAcked(2)).as("no proxy connected: nothing is missing").isTrue();
    }

    @Test
    void aProxyConnectingLateGetsTheLatestAtOnce() {
        ChannelServer server = server();
        server.publish(Snapshots.v(1));
        server.publish(Snapshots.v(2));
        MemorySink sink = new MemorySink();
        client(server, "late", sink);
        Poll.until("late proxy has v2", () -> sink.currentVersion() == 2);
        assertThat(sink.offered()).containsExactly(2L);
        Poll.until("acked", () -> oneProxyAcked(server, 2));
    }

    @Test
    void aDisconnectedProxyGetsOnlyTheNewestOnReconnect() {
        ChannelServer server = server();
        MemorySink sink = new MemorySink();
        ChannelClient first = client(server, "p1", sink);
        server.publish(Snapshots.v(1));
        Poll.until("v1 acked", () -> oneProxyAcked(server, 1));
        first.close();
        Poll.until("gone", () -> server.connectedCount() == 0);

        server.publish(Snapshots.v(2));
        server.publish(Snapshots.v(3));
        server.publish(Snapshots.v(4));
        client(server, "p1", sink);
        Poll.until("v4 acked", () -> oneProxyAcked(server, 4));
        assertThat(sink.offered()).containsExactly(1L, 4L);
    }

    @Test
    void aSlowProxyGetsOnlyTheNewestNotABacklog() throws Exception {
        ChannelServer server = server();
        MemorySink sink = new MemorySink().stallAt(2);
        client(server, "slow", sink);
        server.publish(Snapshots.v(1));
        Poll.until("v1 acked", () -> oneProxyAcked(server, 1));

        server.publish(Snapshots.v(2));
        sink.awaitStalled();
        server.publish(Snapshots.v(3));
        server.publish(Snapshots.v(4));
        server.publish(Snapshots.v(5));
        sink.release();
        Poll.until("v5 acked", () -> oneProxyAcked(server, 5));
        assertThat(sink.offered()).containsExactly(1L, 2L, 5L);
        assertThat(sink.currentVersion()).isEqualTo(5);
    }

    @Test
    void problemsBecomeANackWithPerObjectErrorsAndThePreviousSnapshotStays() {
        ChannelServer server = server();
        Recorder recorder = new Recorder();
        server.addListener(recorder);
        MemorySink sink = new MemorySink().judge(s -> s.version() == 2
                ? List.of(new Problem(Snapshots.UPSTREAM, "spec.targets[0].port", "0 (expected: 1..65535)"),
                        new Problem(null, "routes", "two routes with one id"))
                : List.of());
        client(server, "p1", sink);
        server.publish(Snapshots.v(1));
        Poll.until("v1 acked", () -> oneProxyAcked(server, 1));

        server.publish(Snapshots.v(2));
        Poll.until("nack reached the listener", () -> recorder.calls.contains("nack p1 2"));
        assertThat(recorder.lastErrors).containsExactly(
                new ObjectError("u-cart", 4, "Upstream", "shop", "cart", "spec.targets[0].port", "0 (expected: 1..65535)"),
                ObjectError.snapshotWide("routes", "two routes with one id"));
        assertThat(sink.current()).isEqualTo(Snapshots.v(1));
        assertThat(server.allAcked(2)).isFalse();
        assertThat(server.allAcked(1)).isTrue();
        ProxyState state = server.proxies().get(0);
        assertThat(state.lastAckedVersion()).isEqualTo(1);
        assertThat(state.lastNack().version()).isEqualTo(2);
        assertThat(state.lastNack().errors()).hasSize(2);

        // the next good snapshot goes through
        server.publish(Snapshots.v(3));
        Poll.until("v3 acked", () -> oneProxyAcked(server, 3));
        assertThat(sink.offered()).containsExactly(1L, 2L, 3L);
    }

    @Test
    void aHelloWithTheLatestHashIsAcknowledgedWithoutAResend() {
        ChannelServer server = server();
        Recorder recorder = new Recorder();
        server.addListener(recorder);
        server.publish(Snapshots.v(7));
        // e.g. restarted from its state dir: same content, older version number
        MemorySink sink = new MemorySink(Snapshots.v(7).withVersion(3));
        ChannelClient client = client(server, "warm", sink);
        Poll.until("recorded as acked", () -> oneProxyAcked(server, 7));
        Poll.never(Duration.ofMillis(300), "a resend", () -> !sink.offered().isEmpty());
        assertThat(client.lastAppliedVersion()).isEqualTo(3);
        assertThat(recorder.calls).containsExactly("connect warm", "ack warm 7");
        assertThat(logs.containing("event=channel.push ")).isEmpty();
    }

    @Test
    void equalContentUnderANewVersionIsAcknowledgedWithoutAPush() {
        ChannelServer server = server();
        MemorySink sink = new MemorySink();
        client(server, "p1", sink);
        server.publish(Snapshots.v(1));
        Poll.until("v1 acked", () -> oneProxyAcked(server, 1));
        server.publish(Snapshots.v(1).withVersion(2));
        Poll.until("v2 acked", () -> oneProxyAcked(server, 2));
        assertThat(sink.offered()).containsExactly(1L);
    }

    @Test
    void manyProxiesAllAcknowledge() {
        ChannelServer server = server();
        MemorySink[] sinks = new MemorySink[5];
        for (int i = 0; i < sinks.length; i++) {
            sinks[i] = new MemorySink();
            client(server, "p" + i, sinks[i]);
        }
        Poll.until("all connected", () -> server.connectedCount() == 5);
        server.publish(Snapshots.v(1));
        Poll.until("all acked", () -> proxiesAcked(server, 5, 1));
        assertThat(server.ackedAtLeast(1)).isEqualTo(5);
        assertThat(server.ackedAtLeast(2)).isZero();
        assertThat(server.proxies()).extracting(ProxyState::proxyId).containsExactly("p0", "p1", "p2", "p3", "p4");
        for (MemorySink s : sinks) {
            assertThat(s.current()).isEqualTo(Snapshots.v(1));
        }
    }

    @Test
    void aBurstOfPublishesConvergesEverywhereInOrderWithoutBacklog() {
        ChannelServer server = server();
        MemorySink[] sinks = new MemorySink[10];
        for (int i = 0; i < sinks.length; i++) {
            sinks[i] = new MemorySink();
            client(server, "p" + i, sinks[i]);
        }
        Poll.until("all connected", () -> server.connectedCount() == sinks.length);
        for (long v = 1; v <= 200; v++) {
            server.publish(Snapshots.v(v));
        }
        Poll.until(Duration.ofSeconds(10), "all at v200", () -> proxiesAcked(server, sinks.length, 200));
        int applies = 0;
        for (MemorySink s : sinks) {
            assertThat(s.currentVersion()).isEqualTo(200);
            assertThat(s.offered()).isSorted().doesNotHaveDuplicates().endsWith(200L);
            applies += s.offered().size();
        }
        // one push in flight per proxy: intermediate versions are skipped, not queued
        assertThat(applies).isLessThan(sinks.length * 200);
    }

    @Test
    void versionsMustNotGoBackwards() {
        ChannelServer server = server();
        server.publish(Snapshots.v(5));
        server.publish(Snapshots.v(5));
        assertThatThrownBy(() -> server.publish(Snapshots.v(4)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("version: 4 (expected: >= 5, the latest published)");
    }

    @Test
    void aThrowingListenerDoesNotStopTheOthers() {
        ChannelServer server = server();
        server.addListener(new ChannelListener() {
            @Override
            public void onConnect(String proxyId) {
                throw new IllegalStateException("boom");
            }
        });
        Recorder recorder = new Recorder();
        server.addListener(recorder);
        server.publish(Snapshots.v(1));
        client(server, "p1", new MemorySink());
        Poll.until("ack seen", () -> recorder.calls.contains("ack p1 1"));
        assertThat(logs.containing("event=channel.listener-failed")).hasSize(1);
    }

}
