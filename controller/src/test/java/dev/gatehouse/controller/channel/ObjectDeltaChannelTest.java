package dev.gatehouse.controller.channel;

import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotCodec;
import dev.gatehouse.config.Source;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.config.channel.ObjectError;
import dev.gatehouse.proxy.ProxyConfig;
import dev.gatehouse.proxy.ProxyServer;
import dev.gatehouse.proxy.balance.TargetState;
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
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Object deltas over the real channel: a real controller server, a real proxy ({@link ProxyServer}
 * behind a {@link ChannelClient}), recording backends, loopback sockets.
 */
class ObjectDeltaChannelTest extends ChannelTestBase {
    private static final int FILLER_ROUTES = 300;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static Source source(String kind, String name, long generation) {
        return new Source(kind, "shop", name, "uid-" + name, generation);
    }

    private static Route route(String name, String service, String path, long generation) {
        return new Route("shop/" + name, source("GatewayRoute", name, generation), "shop/" + service, List.of(), List.of(path),
                List.of(), null, false, false, 0, null);
    }

    /**
     * Services {@code keep}, {@code old} and {@code new}, each to its own backend's upstream; route
     * {@code edit} at {@code editPath} to {@code editService}, route {@code keep} at /keep, filler routes.
     */
    private static Snapshot snapshot(long version, int keepPort, int oldPort, int newPort, String editService, String editPath,
                                     long editGeneration) {
        return snapshot(version, keepPort, oldPort, newPort, editService, editPath, editGeneration, FILLER_ROUTES);
    }

    private static Snapshot snapshot(long version, int keepPort, int oldPort, int newPort, String editService, String editPath,
                                     long editGeneration, int fillers) {
        List<Route> routes = new ArrayList<>();
        routes.add(route("edit", editService, editPath, editGeneration));
        for (int i = 0; i < fillers; i++) {
            routes.add(route("filler-" + i, "keep", "/filler/" + i, 1));
        }
        routes.add(route("keep", "keep", "/keep", 1));
        List<Service> services = new ArrayList<>();
        List<Upstream> upstreams = new ArrayList<>();
        String[] names = {"keep", "new", "old"};
        int[] ports = {keepPort, newPort, oldPort};
        for (int i = 0; i < names.length; i++) {
            services.add(new Service("shop/" + names[i], source("GatewayService", names[i], 1), "shop/" + names[i],
                    Service.Protocol.HTTP, "/", null, 0, Service.Timeouts.DEFAULT));
            upstreams.add(new Upstream("shop/" + names[i], source("Upstream", names[i], 1), Upstream.Algorithm.ROUND_ROBIN, null,
                    null, List.of(new Upstream.Target("127.0.0.1", ports[i], 100)), null, 0));
        }
        return new Snapshot(version, services, routes, upstreams, List.of());
    }

    /** A backend that records the request lines it gets and answers its name; {@code /keep/slow} waits for {@code release}. */
    private HttpServer backend(String name, List<String> received, CountDownLatch entered, CountDownLatch release) throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        ExecutorService pool = Executors.newCachedThreadPool();
        s.setExecutor(pool);
        s.createContext("/", ex -> {
            received.add(ex.getRequestMethod() + " " + ex.getRequestURI());
            if (ex.getRequestURI().getPath().equals("/keep/slow")) {
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
    void aRouteEditArrivesAsASmallObjectsDeltaTheEditedRouteServesAsEditedAndAnUnchangedRouteKeepsItsBalancerState()
            throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        track(release::countDown);
        List<String> atKeep = new CopyOnWriteArrayList<>();
        List<String> atOld = new CopyOnWriteArrayList<>();
        List<String> atNew = new CopyOnWriteArrayList<>();
        int keep = backend("keep", atKeep, entered, release).getAddress().getPort();
        int old = backend("old", atOld, new CountDownLatch(1), new CountDownLatch(0)).getAddress().getPort();
        int fresh = backend("new", atNew, new CountDownLatch(1), new CountDownLatch(0)).getAddress().getPort();

        ChannelServer server = server();
        ProxyServer proxy = track(ProxyServer.start(new ProxyConfig("127.0.0.1", 0, 1, Duration.ofSeconds(5)),
                new SimpleMeterRegistry()));
        ChannelClient client = track(ChannelClient.start(ChannelClientConfig.of(uri(server), null, "p1"), proxy));
        Snapshot v1 = snapshot(1, keep, old, fresh, "old", "/edit", 1);
        server.publish(v1);
        Poll.until("v1 acked and serving", () -> server.ackedAtLeast(1) == 1 && proxy.listening());
        assertThat(get(proxy, "/edit/a?x=1").get(10, TimeUnit.SECONDS).body()).isEqualTo("old");

        CompletableFuture<HttpResponse<String>> slow = get(proxy, "/keep/slow");
        assertThat(entered.await(10, TimeUnit.SECONDS)).as("the slow request reached keep").isTrue();
        TargetState keepTarget = proxy.balancers().upstreams().get("shop/keep").find("127.0.0.1:" + keep);
        assertThat(keepTarget.inFlight()).isEqualTo(1);
        ChannelCounters counters = server.counters();
        long wireBefore = counters.wireBytes.sum();

        // the edit: route shop/edit now goes to service shop/new at another path
        Snapshot v2 = snapshot(2, keep, old, fresh, "new", "/edited", 2);
        server.publish(v2);
        Poll.until("v2 acked", () -> server.ackedAtLeast(2) == 1);

        long wire = counters.wireBytes.sum() - wireBefore;
        assertThat(counters.of(Published.DeltaKind.OBJECTS).sent.sum()).isEqualTo(1);
        assertThat(counters.snapshotsSent.sum()).as("only v1 went whole").isEqualTo(1);
        assertThat(logs.containing("event=channel.push proxy=p1 version=2 kind=objects")).hasSize(1);
        assertThat(logs.containing("event=channel.applied kind=objects version=2 base=1 kinds=routes changes=1")).hasSize(1);
        assertThat(server.latest().frameBytesIfEncoded()).as("every proxy took the delta: the whole v2 was never encoded")
                .isEqualTo(-1);
        assertThat(logs.containing("event=channel.publish version=2 ")).singleElement().asString()
                .contains(" bytes=- delta-bytes=").contains(" delta-kind=objects delta-changes=1 delta-kinds=routes ");
        int delta = server.latest().delta().length;
        int whole = server.latest().frame().length;
        assertThat(whole).as("the whole snapshot, as JSON").isGreaterThan(40_000);
        assertThat(delta).as("the delta, as JSON: " + delta + " of " + whole + " bytes").isLessThan(whole / 50);
        assertThat(wire).as("bytes written to the proxy for v2, compressed and framed").isLessThan(1_000);
        assertThat(client.objectDeltasApplied()).isEqualTo(1);
        assertThat(proxy.current()).isEqualTo(v2);
        assertThat(proxy.current().routes().stream().map(Route::id).toList()).isEqualTo(v2.routes().stream().map(Route::id).toList());
        assertThat(proxy.currentContentHash()).isEqualTo(server.latest().hash()).isEqualTo(SnapshotCodec.contentHash(v2));

        HttpResponse<String> edited = get(proxy, "/edited/b?y=2").get(10, TimeUnit.SECONDS);
        assertThat(edited.statusCode()).isEqualTo(200);
        assertThat(edited.body()).isEqualTo("new");
        assertThat(atNew).containsExactly("GET /edited/b?y=2");
        assertThat(get(proxy, "/edit/a").get(10, TimeUnit.SECONDS).statusCode()).as("the old path is gone").isEqualTo(404);
        assertThat(atOld).containsExactly("GET /edit/a?x=1");

        assertThat(proxy.balancers().upstreams().get("shop/keep").find("127.0.0.1:" + keep)).as("keep's target: same state")
                .isSameAs(keepTarget);
        assertThat(keepTarget.inFlight()).as("keep's in-flight request is still counted").isEqualTo(1);
        release.countDown();
        HttpResponse<String> done = slow.get(10, TimeUnit.SECONDS);
        assertThat(done.body()).isEqualTo("keep");
        Poll.until("keep's in-flight count back to 0", () -> keepTarget.inFlight() == 0);
    }

    @Test
    void aDeltaWhoseResultIsInvalidIsRefusedNamingTheObjectAndFieldAndTheLastGoodConfigKeepsServing() throws Exception {
        List<String> atOld = new CopyOnWriteArrayList<>();
        int keep = backend("keep", new CopyOnWriteArrayList<>(), new CountDownLatch(1), new CountDownLatch(0)).getAddress().getPort();
        int old = backend("old", atOld, new CountDownLatch(1), new CountDownLatch(0)).getAddress().getPort();
        ChannelServer server = server();
        ProxyServer proxy = track(ProxyServer.start(new ProxyConfig("127.0.0.1", 0, 1, Duration.ofSeconds(5)),
                new SimpleMeterRegistry()));
        track(ChannelClient.start(ChannelClientConfig.of(uri(server), null, "p1"), proxy));
        Snapshot v1 = snapshot(1, keep, old, 9, "old", "/edit", 1);
        server.publish(v1);
        Poll.until("v1 acked and serving", () -> server.ackedAtLeast(1) == 1 && proxy.listening());

        server.publish(snapshot(2, keep, old, 9, "old", "~/edit/(unclosed", 2));
        Poll.until("v2 refused", () -> !server.proxies().isEmpty() && server.proxies().get(0).lastNack() != null);
        ObjectError error = server.proxies().get(0).lastNack().errors().get(0);
        assertThat(server.proxies().get(0).lastNack().version()).isEqualTo(2);
        assertThat(error.kind()).isEqualTo("GatewayRoute");
        assertThat(error.name()).isEqualTo("edit");
        assertThat(error.generation()).isEqualTo(2);
        assertThat(error.field()).isEqualTo("routes[0].paths[0]");
        assertThat(error.message()).startsWith("invalid regex");
        assertThat(server.counters().of(Published.DeltaKind.OBJECTS).sent.sum()).isEqualTo(1);
        assertThat(server.counters().of(Published.DeltaKind.OBJECTS).refusals.sum()).isEqualTo(1);
        assertThat(proxy.current()).isEqualTo(v1);
        HttpResponse<String> still = get(proxy, "/edit/a").get(10, TimeUnit.SECONDS);
        assertThat(still.body()).as("the last good config serves").isEqualTo("old");
        assertThat(atOld).containsExactly("GET /edit/a");

        Snapshot v3 = snapshot(3, keep, old, 9, "old", "/fixed", 3);
        server.publish(v3);
        Poll.until("v3 acked", () -> server.ackedAtLeast(3) == 1);
        assertThat(proxy.current()).isEqualTo(v3);
        assertThat(get(proxy, "/fixed").get(10, TimeUnit.SECONDS).body()).isEqualTo("old");
    }

    /**
     * Versions published while a proxy is still applying an older one (a rollout's endpoint
     * changes come tens of milliseconds apart): when it answers, it is sent one delta from the
     * version it serves to the latest, never the whole snapshot.
     */
    @Test
    void aProxyBehindBySeveralVersionsCatchesUpWithOneDelta() {
        ChannelServer server = server();
        Snapshot v1 = snapshot(1, 9001, 9002, 9003, "old", "/edit", 1, 20); // the raw peer takes frames up to 64 KiB
        Snapshot v2 = snapshot(2, 9001, 9002, 9003, "new", "/edit", 2, 20);
        Snapshot v3 = snapshot(3, 9001, 9002, 9003, "new", "/edited", 3, 20);
        Snapshot v4 = snapshot(4, 9001, 9002, 9003, "old", "/edited-again", 4, 20);
        server.publish(v1);
        RawPeer peer = track(new RawPeer(uri(server)));
        peer.sendText(RawPeer.helloAt("raw", 1, SnapshotCodec.contentHash(v1), "objects2"));
        Poll.until("v1 counted as held", () -> server.ackedAtLeast(1) == 1);

        server.publish(v2);
        Poll.until("the delta to v2", () -> peer.texts.size() == 1);
        server.publish(v3); // the proxy has not answered v2 yet: nothing more is sent
        server.publish(v4);
        String h2 = SnapshotCodec.contentHash(v2);
        peer.sendText("{\"type\":\"ack\",\"protocol\":1,\"version\":2,\"hash\":\"" + h2 + "\"}");
        Poll.until("the next push", () -> peer.texts.size() == 2);
        String h4 = SnapshotCodec.contentHash(v4);
        assertThat(peer.texts.get(1)).as("one delta from v2 to v4, not the whole snapshot")
                .startsWith("{\"type\":\"objects\",\"protocol\":1,\"baseVersion\":2,\"baseHash\":\"" + h2 + "\"")
                .contains("\"version\":4,\"hash\":\"" + h4 + "\"")
                .contains("/edited-again").doesNotContain("filler");
        peer.sendText("{\"type\":\"ack\",\"protocol\":1,\"version\":4,\"hash\":\"" + h4 + "\"}");
        Poll.until("v4 acked", () -> server.ackedAtLeast(4) == 1);
        assertThat(server.counters().of(Published.DeltaKind.OBJECTS).sent.sum()).as("both pushes were deltas").isEqualTo(2);
        assertThat(server.proxies().get(0).lastNack()).isNull();
    }

    @Test
    void aProxyThatMissedADeltaAsksForAResyncAndGetsTheWholeSnapshot() {
        ChannelServer server = server();
        Snapshot v1 = snapshot(1, 9001, 9002, 9003, "old", "/edit", 1, 20); // the raw peer takes frames up to 64 KiB
        Snapshot v2 = snapshot(2, 9001, 9002, 9003, "new", "/edit", 2, 20);
        server.publish(v1);
        RawPeer peer = track(new RawPeer(uri(server)));
        peer.sendText(RawPeer.helloAt("raw", 1, SnapshotCodec.contentHash(v1), "objects2"));
        Poll.until("v1 counted as held", () -> server.ackedAtLeast(1) == 1);

        server.publish(v2);
        Poll.until("a delta", () -> peer.texts.size() == 1);
        assertThat(peer.texts.get(0)).startsWith("{\"type\":\"objects\",\"protocol\":1,\"baseVersion\":1,")
                .contains("\"routes\":{\"size\":22,\"put\":[{\"at\":0,\"object\":{\"id\":\"shop/edit\"")
                .doesNotContain("filler");
        String h2 = SnapshotCodec.contentHash(v2);
        peer.sendText("{\"type\":\"nack\",\"protocol\":1,\"version\":2,\"hash\":\"" + h2 + "\",\"errors\":[{\"generation\":0,\"field\":"
                + "\"baseVersion\",\"message\":\"1 (expected: 0, the version this proxy serves; send the whole snapshot)\"}]}");
        Poll.until("the whole snapshot", () -> peer.texts.size() == 2);
        assertThat(peer.texts.get(1)).startsWith("{\"type\":\"snapshot\",\"protocol\":1,\"version\":2,\"hash\":\"" + h2 + "\"");
        peer.sendText("{\"type\":\"ack\",\"protocol\":1,\"version\":2,\"hash\":\"" + h2 + "\"}");
        Poll.until("v2 acked", () -> server.ackedAtLeast(2) == 1);
        assertThat(server.counters().of(Published.DeltaKind.OBJECTS).resyncs.sum()).isEqualTo(1);
        assertThat(server.counters().of(Published.DeltaKind.OBJECTS).refusals.sum()).as("a resync is no refusal").isZero();
        assertThat(server.proxies().get(0).lastNack()).isNull();
        assertThat(logs.containing("event=channel.resync proxy=raw version=2 kind=objects")).hasSize(1);
    }
    /**
     * A proxy of the builds with the first per-object hash (an ordered list of digests, hello
     * feature {@code "objects"}) would compute another hash than the summed one: it is sent whole
     * snapshots with the legacy whole-document hash, which it accepts, and never a delta.
     */
    @Test
    void aProxyWithTheFirstPerObjectHashGetsWholeSnapshotsWithTheLegacyHash() {
        ChannelServer server = server();
        Snapshot v1 = snapshot(1, 9001, 9002, 9003, "old", "/edit", 1, 20);
        Snapshot v2 = snapshot(2, 9001, 9002, 9003, "new", "/edit", 2, 20);
        server.publish(v1);
        RawPeer peer = track(new RawPeer(uri(server)));
        String h1 = dev.gatehouse.config.ContentHash.legacy(v1);
        peer.sendText(RawPeer.helloAt("raw", 1, h1, "objects"));
        Poll.until("v1 counted as held", () -> server.ackedAtLeast(1) == 1);

        server.publish(v2);
        Poll.until("a push", () -> peer.texts.size() == 1);
        String h2 = dev.gatehouse.config.ContentHash.legacy(v2);
        assertThat(h2).isNotEqualTo(SnapshotCodec.contentHash(v2));
        assertThat(peer.texts.get(0)).startsWith("{\"type\":\"snapshot\",\"protocol\":1,\"version\":2,\"hash\":\"" + h2 + "\"");
        peer.sendText("{\"type\":\"ack\",\"protocol\":1,\"version\":2,\"hash\":\"" + h2 + "\"}");
        Poll.until("v2 acked", () -> server.ackedAtLeast(2) == 1);
        assertThat(server.proxies().get(0).lastNack()).isNull();
    }
}
