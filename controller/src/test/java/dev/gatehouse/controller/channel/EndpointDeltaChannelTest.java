package dev.gatehouse.controller.channel;

import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotCodec;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.proxy.ProxyConfig;
import dev.gatehouse.proxy.ProxyServer;
import dev.gatehouse.proxy.balance.TargetState;
import dev.gatehouse.proxy.balance.UpstreamState;
import dev.gatehouse.proxy.channel.ChannelClient;
import dev.gatehouse.proxy.channel.ChannelClientConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Endpoint deltas over the real channel: a real controller server, real proxies (a
 * {@link ProxyServer}, or a {@link MemorySink}), real backends, loopback sockets.
 */
class EndpointDeltaChannelTest extends ChannelTestBase {
    private static final String UPSTREAM = "shop/cart";
    /** Enough routes that the whole snapshot is tens of KiB while a delta stays a few hundred bytes. */
    private static final int FILLER_ROUTES = 300;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** A snapshot whose only upstream has {@code targets}; one route {@code /} to it, and filler routes. */
    private static Snapshot snapshot(long version, List<Upstream.Target> targets) {
        return snapshot(version, targets, FILLER_ROUTES);
    }

    private static Snapshot snapshot(long version, List<Upstream.Target> targets, int fillerRoutes) {
        List<Route> routes = new ArrayList<>();
        routes.add(new Route("shop/root", Snapshots.ROUTE, "shop/cart", List.of(), List.of("/"), List.of(), null,
                false, false, 0, null));
        for (int i = 0; i < fillerRoutes; i++) {
            routes.add(new Route("shop/filler-" + i, Snapshots.ROUTE, "shop/cart", List.of(), List.of("/filler/" + i),
                    List.of(), null, false, false, 0, null));
        }
        return new Snapshot(version,
                List.of(new Service("shop/cart", Snapshots.SERVICE, UPSTREAM, Service.Protocol.HTTP, "/", null, 2,
                        Service.Timeouts.DEFAULT)),
                routes,
                List.of(new Upstream(UPSTREAM, Snapshots.UPSTREAM, Upstream.Algorithm.ROUND_ROBIN, null, null, targets, null, 0)),
                List.of());
    }

    private static Upstream.Target target(int port) {
        return new Upstream.Target("127.0.0.1", port, 100);
    }

    /** A backend that answers its name; {@code /slow} waits for {@code release}. */
    private HttpServer backend(String name, CountDownLatch entered, CountDownLatch release) throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        ExecutorService pool = Executors.newCachedThreadPool();
        s.setExecutor(pool);
        s.createContext("/", ex -> {
            if (ex.getRequestURI().getPath().equals("/slow")) {
                entered.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS); // held while the test looks, however slow the machine
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] body = name.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        s.start();
        track(() -> {
            s.stop(0);
            pool.shutdownNow();
        });
        return s;
    }

    private CompletableFuture<HttpResponse<String>> get(ProxyServer proxy, String path) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.port() + path))
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString()); // the held request waits out the test's steps
    }

    @Test
    void anEndpointOnlyChangeArrivesAsASmallDeltaTheNewTargetServesAndAnUnchangedTargetKeepsItsState() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        track(release::countDown); // never leave the slow request hanging
        HttpServer a = backend("a", entered, release);
        HttpServer b = backend("b", new CountDownLatch(1), new CountDownLatch(0));
        int portA = a.getAddress().getPort();
        int portB = b.getAddress().getPort();

        ChannelServer server = server();
        ProxyServer proxy = track(ProxyServer.start(new ProxyConfig("127.0.0.1", 0, 1, Duration.ofSeconds(5)),
                new SimpleMeterRegistry()));
        track(ChannelClient.start(ChannelClientConfig.of(uri(server), null, "p1"), proxy));
        server.publish(snapshot(1, List.of(target(portA))));
        Poll.until("v1 acked and serving", () -> server.ackedAtLeast(1) == 1 && proxy.listening());

        CompletableFuture<HttpResponse<String>> slow = get(proxy, "/slow");
        assertThat(entered.await(10, TimeUnit.SECONDS)).as("the slow request reached a").isTrue();
        UpstreamState upstream = proxy.balancers().upstreams().get(UPSTREAM);
        TargetState stateA = upstream.find("127.0.0.1:" + portA);
        assertThat(stateA.inFlight()).isEqualTo(1);
        Object routerBefore = proxy.compiled().router();
        ChannelCounters counters = server.counters();
        long wireBefore = counters.wireBytes.sum();

        server.publish(snapshot(2, List.of(target(portA), target(portB))));
        Poll.until("v2 acked", () -> server.ackedAtLeast(2) == 1);

        long wire = counters.wireBytes.sum() - wireBefore;
        assertThat(counters.of(Published.DeltaKind.ENDPOINTS).sent.sum()).isEqualTo(1);
        assertThat(counters.snapshotsSent.sum()).isEqualTo(1);
        assertThat(logs.containing("event=channel.push proxy=p1 version=2 kind=endpoints")).hasSize(1);
        assertThat(server.latest().frame().length).as("the whole snapshot, as JSON").isGreaterThan(30_000);
        assertThat(server.latest().delta().length).as("the delta, as JSON").isLessThan(600);
        assertThat(wire).as("bytes written to the proxy for v2, compressed and framed").isLessThan(600);
        assertThat(proxy.current()).isEqualTo(snapshot(2, List.of(target(portA), target(portB))));
        assertThat(proxy.currentContentHash()).isEqualTo(server.latest().hash());
        assertThat(proxy.compiled().router()).as("routes are not recompiled for a delta").isSameAs(routerBefore);

        assertThat(upstream.find("127.0.0.1:" + portA)).as("a stays: same state").isSameAs(stateA);
        assertThat(stateA.inFlight()).as("a's in-flight request is still counted").isEqualTo(1);
        assertThat(upstream.find("127.0.0.1:" + portB).inFlight()).isZero();

        Set<String> answered = new HashSet<>();
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> r = get(proxy, "/").get(10, TimeUnit.SECONDS);
            assertThat(r.statusCode()).isEqualTo(200);
            answered.add(r.body());
        }
        assertThat(answered).as("round robin over a and the new b").containsExactlyInAnyOrder("a", "b");

        release.countDown();
        HttpResponse<String> done = slow.get(10, TimeUnit.SECONDS);
        assertThat(done.statusCode()).isEqualTo(200);
        assertThat(done.body()).isEqualTo("a");
        Poll.until("a's in-flight count back to 0", () -> stateA.inFlight() == 0);
    }

    @Test
    void aProxyNotAtTheBaseAsksForAResyncAndGetsTheWholeSnapshotWithoutARefusalReported() {
        ChannelServer server = server();
        Snapshot v1 = snapshot(1, List.of(target(9001)), 0); // the raw peer takes frames up to 64 KiB
        Snapshot v2 = snapshot(2, List.of(target(9001), target(9002)), 0);
        server.publish(v1);
        RawPeer peer = track(new RawPeer(uri(server)));
        peer.sendText("{\"type\":\"hello\",\"protocol\":1,\"proxyId\":\"raw\",\"lastVersion\":1,\"lastHash\":\""
                + SnapshotCodec.contentHash(v1) + "\",\"maxMessageBytes\":65536,\"features\":[\"objects2\"]}");
        Poll.until("v1 counted as held", () -> server.ackedAtLeast(1) == 1);

        server.publish(v2);
        Poll.until("a delta", () -> peer.texts.size() == 1);
        assertThat(peer.texts.get(0)).startsWith("{\"type\":\"endpoints\",\"protocol\":1,\"baseVersion\":1,");
        String h2 = SnapshotCodec.contentHash(v2);
        // this proxy lost what it served meanwhile: it asks for the whole snapshot
        peer.sendText("{\"type\":\"nack\",\"protocol\":1,\"version\":2,\"hash\":\"" + h2 + "\",\"errors\":[{\"generation\":0,\"field\":"
                + "\"baseVersion\",\"message\":\"1 (expected: 0, the version this proxy serves; send the whole snapshot)\"}]}");
        Poll.until("the whole snapshot", () -> peer.texts.size() == 2);
        assertThat(peer.texts.get(1)).startsWith("{\"type\":\"snapshot\",\"protocol\":1,\"version\":2,\"hash\":\"" + h2 + "\"");
        peer.sendText("{\"type\":\"ack\",\"protocol\":1,\"version\":2,\"hash\":\"" + h2 + "\"}");
        Poll.until("v2 acked", () -> server.ackedAtLeast(2) == 1);
        assertThat(server.counters().of(Published.DeltaKind.ENDPOINTS).resyncs.sum()).isEqualTo(1);
        assertThat(server.proxies().get(0).lastNack()).as("a resync is no refusal").isNull();
        assertThat(logs.containing("event=channel.resync proxy=raw version=2")).hasSize(1);
    }

    @Test
    void aProxyThatDoesNotTellItsLimitIsOfABuildBeforeDeltasAndGetsWholeSnapshots() {
        ChannelServer server = server();
        Snapshot v1 = snapshot(1, List.of(target(9001)), 0);
        server.publish(v1);
        RawPeer peer = track(new RawPeer(uri(server)));
        // a build from before deltas hashes the whole document (the legacy hash) and says no features
        peer.sendText("{\"type\":\"hello\",\"protocol\":1,\"proxyId\":\"old\",\"lastVersion\":1,\"lastHash\":\""
                + SnapshotCodec.legacyContentHash(v1) + "\"}");
        Poll.until("v1 counted as held", () -> server.ackedAtLeast(1) == 1);
        Snapshot v2 = snapshot(2, List.of(target(9002)), 0);
        server.publish(v2);
        Poll.until("a push", () -> peer.texts.size() == 1);
        assertThat(peer.texts.get(0)).startsWith("{\"type\":\"snapshot\",\"protocol\":1,\"version\":2,\"hash\":\""
                + SnapshotCodec.legacyContentHash(v2) + "\"");
        assertThat(server.counters().of(Published.DeltaKind.ENDPOINTS).sent.sum()).isZero();
    }

    @Test
    void aProxyFromBeforeObjectDeltasThatTakesEndpointDeltasGetsWholeSnapshotsWithTheHashItComputes() {
        ChannelServer server = server();
        Snapshot v1 = snapshot(1, List.of(target(9001)), 0);
        server.publish(v1);
        RawPeer peer = track(new RawPeer(uri(server)));
        peer.sendText("{\"type\":\"hello\",\"protocol\":1,\"proxyId\":\"older\",\"lastVersion\":1,\"lastHash\":\""
                + SnapshotCodec.legacyContentHash(v1) + "\",\"maxMessageBytes\":65536}");
        Poll.until("v1 counted as held (legacy hash)", () -> server.ackedAtLeast(1) == 1);
        assertThat(peer.texts).as("equal content: nothing sent").isEmpty();
        Snapshot v2 = snapshot(2, List.of(target(9002)), 0);
        server.publish(v2);
        Poll.until("a push", () -> peer.texts.size() == 1);
        String legacy2 = SnapshotCodec.legacyContentHash(v2);
        assertThat(peer.texts.get(0)).startsWith("{\"type\":\"snapshot\",\"protocol\":1,\"version\":2,\"hash\":\"" + legacy2 + "\"");
        peer.sendText("{\"type\":\"ack\",\"protocol\":1,\"version\":2,\"hash\":\"" + legacy2 + "\"}");
        Poll.until("v2 acked", () -> server.ackedAtLeast(2) == 1);
        assertThat(server.counters().of(Published.DeltaKind.ENDPOINTS).sent.sum() + server.counters().of(Published.DeltaKind.OBJECTS).sent.sum()).isZero();
        assertThat(server.proxies().get(0).lastNack()).isNull();
    }

    @Test
    void aProxyReconnectingAtTheBaseOrAFewVersionsBehindGetsADeltaAndOneTooFarBehindGetsTheWholeSnapshot() {
        ChannelServer server = server();
        MemorySink sink = new MemorySink();
        server.publish(snapshot(1, List.of(target(9001))));
        ChannelClient first = client(server, "p1", sink);
        Poll.until("v1 acked", () -> server.ackedAtLeast(1) == 1);
        first.close();
        Poll.until("gone", () -> server.connectedCount() == 0);

        server.publish(snapshot(2, List.of(target(9002))));
        ChannelClient second = client(server, "p1", sink);
        Poll.until("v2 acked", () -> server.ackedAtLeast(2) == 1);
        assertThat(server.counters().of(Published.DeltaKind.ENDPOINTS).sent.sum()).as("at the base after reconnecting: a delta").isEqualTo(1);
        second.close();
        Poll.until("gone again", () -> server.connectedCount() == 0);

        server.publish(snapshot(3, List.of(target(9003))));
        server.publish(snapshot(4, List.of(target(9004)))); // the delta from 3 is of no use to a proxy at 2: a catch-up from 2
        ChannelClient third = client(server, "p1", sink);
        Poll.until("v4 acked", () -> server.ackedAtLeast(4) == 1);
        assertThat(server.counters().of(Published.DeltaKind.ENDPOINTS).sent.sum()).as("two versions behind: one delta").isEqualTo(2);
        assertThat(server.counters().snapshotsSent.sum()).isEqualTo(1);
        assertThat(sink.current()).isEqualTo(snapshot(4, List.of(target(9004))));
        assertThat(sink.offered()).containsExactly(1L, 2L, 4L);
        third.close();
        Poll.until("gone a third time", () -> server.connectedCount() == 0);

        long last = 5 + Published.CATCH_UP_VERSIONS;
        for (long v = 5; v <= last; v++) { // v4 falls out of the versions a proxy can catch up from
            server.publish(snapshot(v, List.of(target(9000 + (int) v))));
        }
        client(server, "p1", sink);
        Poll.until("the last acked", () -> server.ackedAtLeast(last) == 1);
        assertThat(server.counters().snapshotsSent.sum()).as("too far behind: the whole snapshot").isEqualTo(2);
        assertThat(server.counters().of(Published.DeltaKind.ENDPOINTS).sent.sum()).isEqualTo(2);
        assertThat(sink.current()).isEqualTo(snapshot(last, List.of(target(9000 + (int) last))));
    }

    /**
     * {@code --catch-up-versions 3}: a proxy reconnecting 3 versions behind gets one catch-up delta
     * from the version it serves (counted and logged as one), one 4 behind the whole snapshot.
     */
    @Test
    void theCatchUpWindowIsAKnobAProxyWithinGetsOneDeltaOneBeyondTheWholeSnapshot() {
        ChannelServer server = server(ChannelServerConfig.loopback(0).withCatchUpVersions(3));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        server.bindMeters(registry);
        MemorySink sink = new MemorySink();
        server.publish(snapshot(1, List.of(target(9001))));
        ChannelClient first = client(server, "p1", sink);
        Poll.until("v1 acked", () -> server.ackedAtLeast(1) == 1);
        first.close();
        Poll.until("gone", () -> server.connectedCount() == 0);

        for (long v = 2; v <= 4; v++) {
            server.publish(snapshot(v, List.of(target(9000 + (int) v))));
        }
        ChannelClient second = client(server, "p1", sink);
        Poll.until("v4 acked", () -> server.ackedAtLeast(4) == 1);
        assertThat(sink.offered()).as("three versions behind: one delta, from v1").containsExactly(1L, 4L);
        assertThat(server.counters().of(Published.DeltaKind.ENDPOINTS).sent.sum()).isEqualTo(1);
        assertThat(server.counters().snapshotsSent.sum()).isEqualTo(1);
        assertThat(registry.get("gatehouse.controller.channel.catch_ups").functionCounter().count()).isEqualTo(1);
        assertThat(logs.containing("event=channel.push proxy=p1 version=4 kind=endpoints catch-up=true from=1 ")).hasSize(1);
        second.close();
        Poll.until("gone again", () -> server.connectedCount() == 0);

        for (long v = 5; v <= 8; v++) { // four versions: v4 is no longer among the three kept
            server.publish(snapshot(v, List.of(target(9000 + (int) v))));
        }
        client(server, "p1", sink);
        Poll.until("v8 acked", () -> server.ackedAtLeast(8) == 1);
        assertThat(sink.offered()).containsExactly(1L, 4L, 8L);
        assertThat(server.counters().snapshotsSent.sum()).as("four behind: the whole snapshot").isEqualTo(2);
        assertThat(registry.get("gatehouse.controller.channel.catch_ups").functionCounter().count()).isEqualTo(1);
        assertThat(logs.containing("event=channel.push proxy=p1 version=8 kind=snapshot catch-up=false from=- ")).hasSize(1);
        assertThat(sink.current()).isEqualTo(snapshot(8, List.of(target(9008))));
    }

    @Test
    void aSnapshotOverTheProxysLimitIsNotSentAndShowsAsItsRefusal() {
        ChannelServer server = server();
        MemorySink sink = new MemorySink();
        server.publish(snapshot(1, List.of(target(9001)), 0));
        client(ChannelClientConfig.of(uri(server), null, "p1").withMaxMessageBytes(ChannelClientConfig.MIN_MAX_MESSAGE_BYTES),
                sink);
        Poll.until("v1 acked", () -> server.ackedAtLeast(1) == 1);

        List<Upstream.Target> many = new ArrayList<>();
        for (int i = 1; i <= 3000; i++) {
            many.add(new Upstream.Target("10.0." + (i / 250) + "." + (i % 250), 8080, 100));
        }
        server.publish(snapshot(2, many, 0)); // > 64 KiB even as a delta
        Poll.until("refused", () -> server.counters().oversizeRefused.sum() == 1);
        ProxyState state = server.proxies().get(0);
        assertThat(state.lastNack().version()).isEqualTo(2);
        assertThat(state.lastNack().errors().get(0).message()).contains("(expected: <= 65536, the channel's message limit); not sent");
        assertThat(logs.containing("event=channel.oversize proxy=p1 version=2")).hasSize(1);
        assertThat(sink.current().version()).isEqualTo(1);

        server.publish(snapshot(3, List.of(target(9003)), 0));
        Poll.until("v3 acked", () -> server.ackedAtLeast(3) == 1);
        assertThat(sink.offered()).containsExactly(1L, 3L);
    }
}
