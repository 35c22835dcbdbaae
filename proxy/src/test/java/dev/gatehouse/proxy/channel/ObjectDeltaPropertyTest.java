package dev.gatehouse.proxy.channel;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.ContentHash;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotCodec;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.config.channel.Ack;
import dev.gatehouse.config.channel.ChannelCodec;
import dev.gatehouse.config.channel.ChannelMessage;
import dev.gatehouse.config.channel.EndpointDelta;
import dev.gatehouse.config.channel.EndpointDiff;
import dev.gatehouse.config.channel.Hello;
import dev.gatehouse.config.channel.Nack;
import dev.gatehouse.config.channel.ObjectDelta;
import dev.gatehouse.config.channel.ObjectDiff;
import dev.gatehouse.config.channel.SnapshotPush;
import dev.gatehouse.proxy.Fixtures;
import dev.gatehouse.proxy.ProxyServer;
import dev.gatehouse.proxy.balance.Peer;
import dev.gatehouse.proxy.forward.CompiledRoute;
import dev.gatehouse.proxy.forward.CompiledSnapshot;
import dev.gatehouse.proxy.routing.RouteMatch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Object deltas converge to what the whole snapshot compiles to, whatever changes and whatever
 * the channel does. Random runs of versions, each a few random changes of any kind (routes added
 * at any index, removed, edited, moved; twin routes whose order decides which one a request
 * matches; service settings; upstream targets or algorithm; consumers added and removed), are
 * made the way an incremental translator would (unchanged objects kept as the same instances, or
 * now and then rebuilt equal), diffed and encoded by the real code, and fed in order, late,
 * dropped and across reconnects to the real {@link SnapshotApplier} in front of a real
 * {@link ProxyServer}. A controller stand-in answers as {@code ProxySession} does.
 *
 * <p>Checked after every ACK: the proxy serves exactly that version (snapshot, route order,
 * content hash as made from scratch) and its routing view (per path: which route matches, its
 * service and settings, the targets and weights a request would pick from) equals the one of
 * {@link CompiledSnapshot#compile} of that version's whole snapshot; a NACK changes nothing;
 * after a final reconnect the proxy serves the latest version.
 */
class ObjectDeltaPropertyTest {
    private static final int UPSTREAMS = 3;
    private static final int SERVICES = 4;
    private static final List<String> HOSTS = List.of("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4");
    private static ProxyServer proxy;
    private static int run;

    @BeforeContainer
    static void start() {
        proxy = ProxyServer.start(Fixtures.oneLoopConfig(), new SimpleMeterRegistry());
    }

    @AfterContainer
    static void stop() {
        proxy.close();
    }

    enum Op { ADD_ROUTE, ADD_TWIN, REMOVE_ROUTE, EDIT_ROUTE, MOVE_ROUTE, SERVICE_RETRIES, TARGETS, ALGORITHM, ADD_CONSUMER,
        REMOVE_CONSUMER, REBUILD_EQUAL }

    record Change(Op op, int a, int b) {
    }

    enum Delivery { IN_ORDER, DROPPED, LATE }

    record Step(List<Change> changes, Delivery delivery, boolean reconnectAfter) {
    }

    @Provide
    Arbitrary<List<Step>> runs() {
        Arbitrary<Change> change = Combinators.combine(Arbitraries.of(Op.class), Arbitraries.integers().between(0, 99),
                Arbitraries.integers().between(0, 99)).as(Change::new);
        Arbitrary<Step> step = Combinators.combine(change.list().ofMinSize(1).ofMaxSize(3),
                Arbitraries.of(Delivery.IN_ORDER, Delivery.IN_ORDER, Delivery.DROPPED, Delivery.LATE),
                Arbitraries.of(false, false, false, true)).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(12);
    }

    @Property(tries = 60)
    void objectDeltasInOrderLateDroppedAndAcrossReconnectsConvergeToTheWholeSnapshot(@ForAll("runs") List<Step> steps) {
        String epoch = "objects" + (++run);
        Model model = new Model();
        List<Snapshot> versions = new ArrayList<>();
        versions.add(model.snapshot(1));
        Controller controller = new Controller(epoch, versions);
        SnapshotApplier applier = new SnapshotApplier(proxy, null);
        controller.deliver(applier, controller.full(1));
        List<byte[]> late = new ArrayList<>();
        for (Step step : steps) {
            long v = versions.size() + 1;
            step.changes().forEach(model::apply);
            Snapshot next = model.snapshot(v);
            if (next.withVersion(0).equals(versions.get(versions.size() - 1).withVersion(0))) {
                continue; // as SnapshotVersions: equal content gets no version and is not published
            }
            versions.add(next);
            byte[] message = controller.publish(v);
            switch (step.delivery()) {
                case IN_ORDER -> controller.deliver(applier, message);
                case DROPPED -> { }
                case LATE -> late.add(message);
            }
            if (!late.isEmpty() && step.delivery() != Delivery.LATE) {
                late.forEach(m -> controller.deliver(applier, m));
                late.clear();
            }
            if (step.reconnectAfter()) {
                controller.reconnect(applier);
            }
        }
        late.forEach(m -> controller.deliver(applier, m));
        controller.reconnect(applier);
        Snapshot latest = versions.get(versions.size() - 1);
        // the content: a proxy serving an earlier version whose content equals the latest's says
        // that hash in its hello, and is not sent the latest again (reconnect)
        assertThat(proxy.current().withVersion(latest.version())).isEqualTo(latest);
        assertThat(view(proxy.compiled())).isEqualTo(view(CompiledSnapshot.compile(latest)));
        assertThat(controller.kinds).as("messages of every kind travelled in this run").isNotEmpty();
    }

    /** The configuration the controller translates, changed in place step by step; unchanged objects stay the same instances. */
    private static final class Model {
        final List<Route> routes = new ArrayList<>();
        final List<Service> services = new ArrayList<>();
        final List<Upstream> upstreams = new ArrayList<>();
        final List<Consumer> consumers = new ArrayList<>();
        int next;

        Model() {
            for (int i = 0; i < UPSTREAMS; i++) {
                upstreams.add(upstream(i, Upstream.Algorithm.ROUND_ROBIN, List.of(new Upstream.Target(HOSTS.get(i), 80, 100))));
            }
            for (int i = 0; i < SERVICES; i++) {
                services.add(Fixtures.service("default/s" + i, "default/u" + (i % UPSTREAMS), "/", 1, Service.Timeouts.DEFAULT));
            }
            for (int i = 0; i < 4; i++) {
                routes.add(route("default/r" + (next++), "default/s" + (i % SERVICES), "/p" + i));
            }
        }

        static Upstream upstream(int i, Upstream.Algorithm algorithm, List<Upstream.Target> targets) {
            return new Upstream("default/u" + i, Fixtures.source("Upstream", "default/u" + i), algorithm, null, null, targets, null, 0);
        }

        static Route route(String id, String service, String path) {
            return Fixtures.route(id, service).paths(path).build();
        }

        void apply(Change c) {
            switch (c.op()) {
                case ADD_ROUTE -> routes.add(c.a() % (routes.size() + 1), route("default/r" + (next++), "default/s" + (c.b() % SERVICES),
                        "/p" + (c.b() % 7)));
                case ADD_TWIN -> { // same path as an existing route: the list order decides which one matches
                    if (!routes.isEmpty()) {
                        Route twin = routes.get(c.a() % routes.size());
                        routes.add(c.b() % (routes.size() + 1), route("default/r" + (next++), "default/s" + (c.b() % SERVICES),
                                twin.paths().get(0)));
                    }
                }
                case REMOVE_ROUTE -> {
                    if (routes.size() > 1) {
                        routes.remove(c.a() % routes.size());
                    }
                }
                case EDIT_ROUTE -> {
                    int i = c.a() % routes.size();
                    routes.set(i, route(routes.get(i).id(), "default/s" + (c.b() % SERVICES), "/p" + (c.b() % 7)));
                }
                case MOVE_ROUTE -> routes.add(c.b() % routes.size(), routes.remove(c.a() % routes.size()));
                case SERVICE_RETRIES -> {
                    int i = c.a() % SERVICES;
                    services.set(i, Fixtures.service("default/s" + i, "default/u" + (i % UPSTREAMS), "/", c.b() % 4,
                            Service.Timeouts.DEFAULT));
                }
                case TARGETS -> {
                    int i = c.a() % UPSTREAMS;
                    List<Upstream.Target> targets = new ArrayList<>();
                    for (int h = 0; h < HOSTS.size(); h++) {
                        if ((c.b() >> h & 1) == 1) {
                            targets.add(new Upstream.Target(HOSTS.get(h), 80, h == 0 ? 1 : 100));
                        }
                    }
                    upstreams.set(i, upstream(i, upstreams.get(i).algorithm(), targets));
                }
                case ALGORITHM -> {
                    int i = c.a() % UPSTREAMS;
                    Upstream.Algorithm algorithm = c.b() % 2 == 0 ? Upstream.Algorithm.ROUND_ROBIN : Upstream.Algorithm.LEAST_CONNECTIONS;
                    upstreams.set(i, upstream(i, algorithm, upstreams.get(i).targets()));
                }
                case ADD_CONSUMER -> {
                    String id = "default/c" + (next++);
                    consumers.add(c.a() % (consumers.size() + 1), Fixtures.consumer(id, "user" + id.substring(9), "key-" + id));
                    consumers.sort(java.util.Comparator.comparing(Consumer::id));
                }
                case REMOVE_CONSUMER -> {
                    if (!consumers.isEmpty()) {
                        consumers.remove(c.a() % consumers.size());
                    }
                }
                case REBUILD_EQUAL -> { // a translator that made equal objects anew: equal content, new instances
                    routes.replaceAll(r -> SnapshotCodec.fromJson(SnapshotCodec.toJson(r), Route.class));
                }
            }
        }

        Snapshot snapshot(long version) {
            return new Snapshot(version, services, routes, upstreams, consumers);
        }
    }

    /** The controller's side, as Published and ProxySession decide it, over a channel the test drives. */
    private final class Controller {
        private final String epoch;
        private final List<Snapshot> versions;
        final java.util.Set<String> kinds = new TreeSet<>();

        Controller(String epoch, List<Snapshot> versions) {
            this.epoch = epoch;
            this.versions = versions;
        }

        Snapshot at(long version) {
            return versions.get((int) version - 1);
        }

        byte[] full(long version) {
            return ChannelCodec.encode(SnapshotPush.of(at(version), epoch));
        }

        /** What a publish of {@code version} sends a proxy at the one before: an endpoints delta, an objects delta, or the whole snapshot. */
        byte[] publish(long version) {
            Snapshot prev = at(version - 1);
            Snapshot next = at(version);
            ObjectDelta objects = ObjectDiff.between(prev, prev.version(), ContentHash.of(prev, null).hash(), next,
                    ContentHash.of(next, null).hash(), epoch, 1.0);
            if (objects == null) {
                return full(version);
            }
            List<EndpointDelta.UpstreamTargets> endpoints = EndpointDiff.fromObjects(prev, objects);
            if (endpoints != null) {
                return ChannelCodec.encode(new EndpointDelta(ChannelMessage.PROTOCOL, prev.version(), objects.baseHash(), version,
                        objects.hash(), epoch, endpoints));
            }
            return ChannelCodec.encode(objects);
        }

        void reconnect(SnapshotApplier applier) {
            Hello hello = (Hello) ChannelCodec.decode(ChannelCodec.encode(applier.hello("p")));
            assertThat(hello.has(Hello.FEATURE_OBJECTS)).isTrue();
            Snapshot latest = versions.get(versions.size() - 1);
            if (ContentHash.of(latest, null).hash().equals(hello.lastHash())) {
                return;
            }
            Snapshot prev = latest.version() > 1 ? at(latest.version() - 1) : null;
            boolean atBase = prev != null && hello.lastVersion() == prev.version()
                    && ContentHash.of(prev, null).hash().equals(hello.lastHash());
            deliver(applier, atBase ? publish(latest.version()) : full(latest.version()));
        }

        void deliver(SnapshotApplier applier, byte[] bytes) {
            Snapshot before = proxy.current();
            Map<String, Object> viewBefore = view(proxy.compiled());
            ChannelMessage message = ChannelCodec.decode(bytes);
            kinds.add(ChannelCodec.typeOf(message));
            boolean atBase = message instanceof ObjectDelta d && d.baseVersion() == before.version()
                    && d.baseHash().equals(ContentHash.of(before, null).hash());
            ChannelMessage answer = message instanceof EndpointDelta d ? applier.receive(d)
                    : message instanceof ObjectDelta d ? applier.receive(d) : applier.receive((SnapshotPush) message);
            answer = ChannelCodec.decode(ChannelCodec.encode(answer));
            if (atBase) {
                // at the base, every snapshot valid: the replay must come out (hash included), not fall back to a resync
                assertThat(answer).as("an objects delta at its base is applied").isInstanceOf(Ack.class);
            }
            if (answer instanceof Ack ack) {
                Snapshot expected = at(ack.version());
                assertThat(proxy.current()).isEqualTo(expected);
                assertThat(proxy.current().routes().stream().map(Route::id).toList()).as("route order")
                        .isEqualTo(expected.routes().stream().map(Route::id).toList());
                String fromScratch = ContentHash.of(SnapshotCodec.snapshotFromJson(SnapshotCodec.toJson(expected)), null).hash();
                assertThat(ack.hash()).isEqualTo(fromScratch);
                assertThat(proxy.currentContentHash()).isEqualTo(fromScratch);
                assertThat(view(proxy.compiled())).isEqualTo(view(CompiledSnapshot.compile(expected)));
                return;
            }
            Nack nack = (Nack) answer;
            assertThat(proxy.current()).isSameAs(before);
            assertThat(view(proxy.compiled())).isEqualTo(viewBefore);
            assertThat(nack.errors()).allMatch(e -> EndpointDelta.RESYNC_FIELD.equals(e.field()) || "version".equals(e.field()),
                    "only resyncs and stale versions: every snapshot of the run is valid");
            if (nack.errors().stream().anyMatch(e -> EndpointDelta.RESYNC_FIELD.equals(e.field()))) {
                deliver(applier, full(versions.get(versions.size() - 1).version()));
            }
        }
    }

    /** Per path of the snapshot: the route that matches it, its service and settings, and the targets with weights it picks from. */
    private static Map<String, Object> view(CompiledSnapshot compiled) {
        Map<String, Object> out = new TreeMap<>();
        for (Route r : compiled.snapshot().routes()) {
            String path = r.paths().get(0);
            RouteMatch<CompiledRoute> m = compiled.router().match("example.com", "GET", path, new DefaultHttpHeaders());
            CompiledRoute c = m.destination();
            List<String> peers = new ArrayList<>();
            for (Peer p : c.targets().pin().peers()) {
                peers.add(p.key() + "*" + p.weight());
            }
            out.put("path " + path, c.route().id() + " -> " + c.service().id() + " retries=" + c.service().retries() + " "
                    + c.targets().pin().getClass().getSimpleName() + " " + peers);
        }
        out.put("consumers", compiled.snapshot().consumers().stream().map(Consumer::id).toList());
        return out;
    }
}
