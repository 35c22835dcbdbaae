package dev.gatehouse.controller.channel;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.channel.ChannelClient;
import dev.gatehouse.proxy.channel.ChannelClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class ChannelResilienceTest extends ChannelTestBase {

    @Test
    void aRestartedServerOnTheSamePortIsRejoinedWithinTwoSeconds() {
        ChannelServer first = server();
        int port = first.port();
        MemorySink sink = new MemorySink();
        ChannelClient client = client(first, "p1", sink);
        first.publish(Snapshots.v(1));
        Poll.until("v1 acked", () -> oneProxyAcked(first, 1));

        first.close();
        Poll.until("client noticed", () -> !client.connected());
        assertThat(sink.current()).as("kept while disconnected").isEqualTo(Snapshots.v(1));

        ChannelServer second = server(new ChannelServerConfig("127.0.0.1", port, null, null, null));
        second.publish(Snapshots.v(2));
        Poll.until("reconnected and applied v2", () -> sink.currentVersion() == 2);
        Poll.until("v2 acked", () -> oneProxyAcked(second, 2));
        assertThat(logs.containing("event=channel.disconnected controller=")).hasSize(1);
        assertThat(logs.containing("event=channel.connected controller=")).hasSize(2);
    }

    @Test
    void aLongOutageIsLoggedOnceNotPerRetry() {
        ChannelServer first = server();
        int port = first.port();
        MemorySink sink = new MemorySink();
        ChannelClient client = client(first, "p1", sink);
        Poll.until("connected", () -> first.connectedCount() == 1);
        first.close();
        Poll.until("client noticed", () -> !client.connected());
        // A refused attempt leaves no trace outside the client, so the outage lasts a while (the
        // backoff starts at 100 ms); how many attempts failed is read afterwards from the
        // reconnect's line, so the check below cannot pass on too short an outage.
        Poll.sleep(1_500);
        ChannelServer second = server(new ChannelServerConfig("127.0.0.1", port, null, null, null));
        Poll.until("reconnected", () -> second.connectedCount() == 1 && client.connected());
        // the line is the apply thread's, written after the handshake marked the client connected: awaited, not read once
        Poll.until("the reconnection logged", () -> logs.containing("event=channel.connected controller=").size() == 2);
        String reconnected = logs.containing("event=channel.connected controller=").get(1);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("after-failures=(\\d+)").matcher(reconnected);
        assertThat(m.find()).as(reconnected).isTrue();
        int failed = Integer.parseInt(m.group(1));
        assertThat(failed).as("refused attempts during the outage").isGreaterThanOrEqualTo(3);
        // of those, the first is logged; the next ones, with the same reason, are not
        assertThat(logs.containing("event=channel.connect-failed")).hasSize(1)
                .allSatisfy(l -> assertThat(l).contains("reason=\"connection-refused\"").contains("failures="));
        assertThat(logs.containing("event=channel.disconnected controller=")).hasSize(1);
    }

    @Test
    void theAcknowledgedSnapshotIsPersistedAndLoadsBackEqual(@TempDir Path dir) throws Exception {
        Path state = dir.resolve("state");
        ChannelServer server = server();
        MemorySink sink = new MemorySink().judge(s -> s.version() == 2
                ? java.util.List.of(new dev.gatehouse.config.Problem(null, "routes", "refused on purpose"))
                : java.util.List.of());
        client(ChannelClientConfig.of(uri(server), null, "p1").withStateDir(state), sink);
        assertThat(ChannelClient.loadPersisted(state)).isNull();

        server.publish(Snapshots.v(1));
        Poll.until("v1 acked", () -> oneProxyAcked(server, 1));
        assertThat(ChannelClient.loadPersisted(state)).isEqualTo(Snapshots.v(1));

        server.publish(Snapshots.v(2));
        Poll.until("v2 refused", () -> server.proxies().get(0).lastNack() != null);
        assertThat(ChannelClient.loadPersisted(state)).as("a refused snapshot is not persisted").isEqualTo(Snapshots.v(1));

        server.publish(Snapshots.v(3));
        Poll.until("v3 acked", () -> oneProxyAcked(server, 3));
        // v3 arrives as a catch-up delta from v1 (the version the proxy serves): a delta's file is
        // written after its ACK, off the apply path, within a second
        // the snapshot and its epoch are one file, replaced in one rename
        String origin = "{\"format\":1,\"epoch\":\"" + server.epoch() + "\",\"version\":3,\"snapshot\":{";
        Poll.until("v3 persisted with its origin", () -> Snapshots.v(3).equals(ChannelClient.loadPersisted(state))
                && String.valueOf(readOrNull(state.resolve("state.json"))).startsWith(origin));
        try (var files = Files.list(state)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("no temporary file left").containsExactly("state.json");
        }
    }

    @Test
    void aRestartedProxyWithoutControllerServesThePersistedSnapshotAndSkipsTheResend(@TempDir Path dir) {
        Path state = dir.resolve("state");
        ChannelServer server = server();
        server.publish(Snapshots.v(4));
        ChannelClient first = client(ChannelClientConfig.of(uri(server), null, "p1").withStateDir(state), new MemorySink());
        Poll.until("v4 acked", () -> oneProxyAcked(server, 4));
        first.close();
        Poll.until("gone", () -> server.connectedCount() == 0);

        // a new proxy process: starts from disk, then says hello with that hash
        Snapshot persisted = ChannelClient.loadPersisted(state);
        assertThat(persisted).isEqualTo(Snapshots.v(4));
        MemorySink restarted = new MemorySink(persisted);
        client(ChannelClientConfig.of(uri(server), null, "p1").withStateDir(state), restarted);
        Poll.until("recorded as acked", () -> oneProxyAcked(server, 4));
        Poll.never(Duration.ofMillis(300), "a resend", () -> !restarted.offered().isEmpty());
    }

    @Test
    void aCorruptStateFileIsIgnored(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("snapshot.json"), "{\"version\": 3, \"services\": [ {");
        assertThat(ChannelClient.loadPersisted(dir)).isNull();
        assertThat(logs.containing("event=channel.persisted-ignored")).hasSize(1)
                .allSatisfy(l -> assertThat(l).contains("reason=corrupt"));
    }

    private static String readOrNull(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return null;
        }
    }
}
