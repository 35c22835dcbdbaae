package dev.gatehouse.proxy.channel;

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
import dev.gatehouse.config.channel.SnapshotPush;
import dev.gatehouse.proxy.Fixtures;
import dev.gatehouse.proxy.ProxyServer;
import dev.gatehouse.proxy.balance.Peer;
import dev.gatehouse.proxy.balance.TargetState;
import dev.gatehouse.proxy.balance.UpstreamState;
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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Endpoint deltas converge to what a full snapshot compiles to, whatever the channel does to
 * them. Random runs of versions (endpoint-only changes and configuration changes) are encoded
 * by the real codec and fed, in order, reordered, with messages dropped and with reconnects,
 * to the real {@link SnapshotApplier} in front of a real {@link ProxyServer}. A controller
 * stand-in answers as {@code ProxySession} does: a resync NACK gets the whole latest snapshot,
 * a hello gets the delta when the proxy is at its base, the whole snapshot otherwise.
 *
 * <p>Checked: after every ACK the proxy serves exactly that version (snapshot, content hash) and
 * its routing and balancing view (per route: the service and the targets with weights a request
 * would pick from; per upstream: the live target states) equals the one
 * {@link CompiledSnapshot#compile} gives for that version's whole snapshot; a NACK changes
 * nothing; after a final reconnect the proxy serves the latest version.
 */
class EndpointDeltaPropertyTest {
    private static final int UPSTREAMS = 3;
    private static final List<String> HOSTS = List.of("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5");
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

    /** One step of the controller: a new version, then what the channel does with its message. */
    record Step(boolean endpointsOnly, List<List<Upstream.Target>> targets, int retries, Delivery delivery,
                boolean reconnectAfter) {
    }

    enum Delivery { IN_ORDER, DROPPED, LATE }

    @Provide
    Arbitrary<List<Step>> runs() {
        Arbitrary<Upstream.Target> target = Combinators.combine(Arbitraries.of(HOSTS), Arbitraries.of(0, 1, 100))
                .as((h, w) -> new Upstream.Target(h, 80, w));
        Arbitrary<List<Upstream.Target>> targets = target.list().ofMaxSize(4).uniqueElements(Upstream.Target::host)
                .map(l -> l.stream().sorted(java.util.Comparator.comparing(Upstream.Target::host)).toList());
        Arbitrary<Step> step = Combinators.combine(Arbitraries.of(true, true, true, false), targets.list().ofSize(UPSTREAMS),
                Arbitraries.integers().between(0, 3), Arbitraries.of(Delivery.IN_ORDER, Delivery.IN_ORDER, Delivery.DROPPED,
                        Delivery.LATE), Arbitraries.of(false, false, false, true)).as(Step::new);
        return step.list().ofMinSize(1).ofMaxSize(12);
    }

    @Property(tries = 40)
    void deltasInOrderReorderedDroppedAndAfterReconnectConvergeToTheFullSnapshot(@ForAll("runs") List<Step> steps) {
        String epoch = "run" + (++run);
        List<Snapshot> versions = new ArrayList<>();
        versions.add(snapshot(1, initialTargets(), 2));
        Controller controller = new Controller(epoch, versions);
        SnapshotApplier applier = new SnapshotApplier(proxy, null);
        controller.deliver(applier, controller.full(1)); // the hello of a first connection gets the whole snapshot
        List<byte[]> late = new ArrayList<>();
        for (Step step : steps) {
            Snapshot prev = versions.get(versions.size() - 1);
            long v = prev.version() + 1;
            Snapshot next = step.endpointsOnly()
                    ? snapshot(v, step.targets(), retriesOf(prev))
                    : snapshot(v, targetsOf(prev), step.retries() == retriesOf(prev) ? step.retries() + 1 : step.retries());
            if (next.withVersion(0).equals(prev.withVersion(0))) {
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
                late.forEach(m -> controller.deliver(applier, m)); // older messages after a newer one
                late.clear();
            }
            if (step.reconnectAfter()) {
                controller.reconnect(applier);
            }
        }
        late.forEach(m -> controller.deliver(applier, m));
        controller.reconnect(applier); // a connection's hello always converges
        Snapshot latest = versions.get(versions.size() - 1);
        // converged means the latest content: a proxy whose content hash is the latest's is up to date
        // (ProxySession's channel.up-to-date) whatever version number it holds, as when versions went
        // A -> B -> A with both messages dropped; its next delta then resyncs on the version
        assertThat(SnapshotCodec.contentHash(proxy.current())).isEqualTo(SnapshotCodec.contentHash(latest));
        assertThat(proxy.current().withVersion(0)).isEqualTo(latest.withVersion(0));
        assertThat(view(proxy.compiled())).isEqualTo(view(CompiledSnapshot.compile(latest)));
        assertThat(liveTargets()).isEqualTo(targetsOfSnapshot(latest));
    }

    /** The controller's side, as ProxySession decides it, over a channel the test drives. */
    private final class Controller {
        private final String epoch;
        private final List<Snapshot> versions;

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

        /** What a publish of {@code version} sends a proxy believed to be at the one before: a delta when endpoint-only. */
        byte[] publish(long version) {
            Snapshot prev = at(version - 1);
            List<EndpointDelta.UpstreamTargets> changed = EndpointDiff.between(prev, at(version));
            if (changed == null || changed.isEmpty()) {
                return full(version);
            }
            return ChannelCodec.encode(new EndpointDelta(ChannelMessage.PROTOCOL, prev.version(), SnapshotCodec.contentHash(prev),
                    version, SnapshotCodec.contentHash(at(version)), epoch, changed));
        }

        void reconnect(SnapshotApplier applier) {
            Hello hello = (Hello) ChannelCodec.decode(ChannelCodec.encode(applier.hello("p")));
            Snapshot latest = versions.get(versions.size() - 1);
            String latestHash = SnapshotCodec.contentHash(latest);
            if (latestHash.equals(hello.lastHash())) {
                return;
            }
            Snapshot prev = latest.version() > 1 ? at(latest.version() - 1) : null;
            boolean atBase = prev != null && hello.lastVersion() == prev.version()
                    && SnapshotCodec.contentHash(prev).equals(hello.lastHash());
            deliver(applier, atBase ? publish(latest.version()) : full(latest.version()));
        }

        void deliver(SnapshotApplier applier, byte[] bytes) {
            Snapshot before = proxy.current();
            Map<String, Object> viewBefore = view(proxy.compiled());
            ChannelMessage message = ChannelCodec.decode(bytes);
            ChannelMessage answer = message instanceof EndpointDelta d ? applier.receive(d) : applier.receive((SnapshotPush) message);
            answer = ChannelCodec.decode(ChannelCodec.encode(answer));
            if (answer instanceof Ack ack) {
                Snapshot expected = at(ack.version());
                assertThat(proxy.current()).isEqualTo(expected);
                assertThat(ack.hash()).isEqualTo(SnapshotCodec.contentHash(expected));
                assertThat(view(proxy.compiled())).isEqualTo(view(CompiledSnapshot.compile(expected)));
                assertThat(liveTargets()).isEqualTo(targetsOfSnapshot(expected));
                return;
            }
            Nack nack = (Nack) answer;
            assertThat(proxy.current()).isSameAs(before);
            assertThat(view(proxy.compiled())).isEqualTo(viewBefore);
            if (nack.errors().stream().anyMatch(e -> EndpointDelta.RESYNC_FIELD.equals(e.field()))) {
                deliver(applier, full(versions.get(versions.size() - 1).version())); // ProxySession sends the latest, whole
            }
        }
    }

    /** Per route: its service and the targets a request would pick from; per upstream: the live target states. */
    private static Map<String, Object> view(CompiledSnapshot compiled) {
        Map<String, Object> out = new TreeMap<>();
        for (Route r : compiled.snapshot().routes()) {
            RouteMatch<CompiledRoute> m = compiled.router().match("example.com", "GET", r.paths().get(0), new DefaultHttpHeaders());
            CompiledRoute c = m.destination();
            List<String> peers = new ArrayList<>();
            for (Peer p : c.targets().pin().peers()) {
                peers.add(p.key() + "*" + p.weight());
            }
            out.put("route " + r.id(), c.service().id() + " retries=" + c.service().retries() + " " + peers);
        }
        return out;
    }

    /** The balancers' live target states, by upstream: each target's key and weight. */
    private static Map<String, Object> liveTargets() {
        Map<String, Object> out = new TreeMap<>();
        for (UpstreamState s : proxy.balancers().upstreams().values()) {
            java.util.Set<String> targets = new java.util.TreeSet<>();
            for (TargetState t : s.targets()) {
                targets.add(t.key() + "*" + t.weight());
            }
            out.put(s.id(), targets);
        }
        return out;
    }

    /** What {@link #liveTargets()} is after a whole snapshot: every target of every upstream. */
    private static Map<String, Object> targetsOfSnapshot(Snapshot snapshot) {
        Map<String, Object> out = new TreeMap<>();
        for (Upstream u : snapshot.upstreams()) {
            java.util.Set<String> targets = new java.util.TreeSet<>();
            u.targets().forEach(t -> targets.add(t.address() + "*" + t.weight()));
            out.put(u.id(), targets);
        }
        return out;
    }

    private static List<List<Upstream.Target>> initialTargets() {
        List<List<Upstream.Target>> out = new ArrayList<>();
        for (int i = 0; i < UPSTREAMS; i++) {
            out.add(List.of(new Upstream.Target(HOSTS.get(i), 80, 100)));
        }
        return out;
    }

    private static List<List<Upstream.Target>> targetsOf(Snapshot s) {
        return s.upstreams().stream().map(Upstream::targets).toList();
    }

    private static int retriesOf(Snapshot s) {
        return s.services().get(0).retries();
    }

    /** Three routes, each to its own service and upstream (round robin, least connections, consistent hash). */
    private static Snapshot snapshot(long version, List<List<Upstream.Target>> targets, int retries) {
        List<Upstream.Algorithm> algorithms = List.of(Upstream.Algorithm.ROUND_ROBIN, Upstream.Algorithm.LEAST_CONNECTIONS,
                Upstream.Algorithm.CONSISTENT_HASH);
        List<Upstream> upstreams = new ArrayList<>();
        List<Service> services = new ArrayList<>();
        List<Route> routes = new ArrayList<>();
        for (int i = 0; i < UPSTREAMS; i++) {
            Upstream.HashOn on = algorithms.get(i) == Upstream.Algorithm.CONSISTENT_HASH
                    ? new Upstream.HashOn(Upstream.HashSource.HEADER, "x-user") : null;
            upstreams.add(new Upstream("default/u" + i, Fixtures.source("Upstream", "default/u" + i), algorithms.get(i), on, null,
                    targets.get(i), null, 0));
            services.add(Fixtures.service("default/s" + i, "default/u" + i, "/", retries, Service.Timeouts.DEFAULT));
            routes.add(Fixtures.route("default/r" + i, "default/s" + i).paths("/r" + i).build());
        }
        return new Snapshot(version, services, routes, upstreams, List.of());
    }
}
