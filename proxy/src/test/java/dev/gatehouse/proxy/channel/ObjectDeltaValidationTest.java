package dev.gatehouse.proxy.channel;

import dev.gatehouse.config.ContentHash;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.channel.Ack;
import dev.gatehouse.config.channel.ChannelMessage;
import dev.gatehouse.config.channel.Nack;
import dev.gatehouse.config.channel.ObjectDelta;
import dev.gatehouse.config.channel.ObjectDiff;
import dev.gatehouse.config.channel.ObjectError;
import dev.gatehouse.config.channel.SnapshotPush;
import dev.gatehouse.proxy.Fixtures;
import dev.gatehouse.proxy.ProxyServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real proxy validates object deltas through the served snapshot's index: a delta that leaves a
 * route naming a removed service and adds a route with a bad regex is refused with exactly the
 * errors a whole validation of the patched snapshot gives, in its order, and the proxy keeps
 * serving its base; the next good delta on that base is applied, and one after it too (the
 * index follows the snapshots served, not the refused one).
 */
class ObjectDeltaValidationTest {
    private final ProxyServer proxy = ProxyServer.start(Fixtures.oneLoopConfig(), new SimpleMeterRegistry());
    private final SnapshotApplier applier = new SnapshotApplier(proxy, null);

    @AfterEach
    void stop() {
        proxy.close();
    }

    @Test
    void aRefusedDeltaGetsTheWholeValidationsErrorsAndTheNextGoodOneApplies() {
        Snapshot v1 = new Snapshot(1, List.of(service("default/s1", "default/u"), service("default/s2", "default/u")),
                List.of(route("default/r1", "default/s1").paths("/one").build(),
                        route("default/r2", "default/s2").paths("/two").build()),
                List.of(upstream("default/u", 9)), List.of());
        assertThat(applier.receive(new SnapshotPush(ChannelMessage.PROTOCOL, 1, ContentHash.of(v1, null).hash(), null, v1)))
                .isInstanceOf(Ack.class);

        List<Route> badRoutes = new ArrayList<>(v1.routes());
        badRoutes.add(route("default/r3", "default/s1").paths("~/three(").build());
        Snapshot bad = new Snapshot(2, List.of(v1.services().get(0)), badRoutes, v1.upstreams(), List.of());
        ChannelMessage refused = applier.receive(delta(v1, bad));
        assertThat(refused).isInstanceOf(Nack.class);
        List<ObjectError> expected = bad.validate().stream().map(ObjectError::of).toList();
        assertThat(expected).extracting(ObjectError::field).containsExactly("routes[1].service", "routes[2].paths[0]");
        assertThat(((Nack) refused).errors()).isEqualTo(expected);
        assertThat(proxy.current()).isEqualTo(v1);

        Snapshot v2 = new Snapshot(2, List.of(v1.services().get(0), v1.services().get(1),
                service("default/s3", "default/u")), v1.routes(), v1.upstreams(), List.of());
        assertThat(applier.receive(delta(v1, v2))).isInstanceOf(Ack.class);
        List<Route> routes = new ArrayList<>(v2.routes());
        routes.set(1, route("default/r2", "default/s3").paths("/two").build());
        Snapshot v3 = new Snapshot(3, v2.services(), routes, v2.upstreams(), List.of());
        assertThat(applier.receive(delta(v2, v3))).isInstanceOf(Ack.class);
        assertThat(proxy.current()).isEqualTo(v3);
        assertThat(proxy.compiled().router().destination("default/r2").service().id()).isEqualTo("default/s3");

        List<Service> withoutS3 = List.of(v3.services().get(0), v3.services().get(1));
        Snapshot dangling = new Snapshot(4, withoutS3, v3.routes(), v3.upstreams(), List.of());
        Nack nack = (Nack) applier.receive(delta(v3, dangling));
        assertThat(nack.errors()).isEqualTo(dangling.validate().stream().map(ObjectError::of).toList()).hasSize(1);
    }

    private static ObjectDelta delta(Snapshot base, Snapshot next) {
        return ObjectDiff.between(base, base.version(), ContentHash.of(base, null).hash(), next, ContentHash.of(next, null).hash(),
                null, 1.0);
    }
}
