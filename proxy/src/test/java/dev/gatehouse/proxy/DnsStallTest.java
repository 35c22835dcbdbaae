package dev.gatehouse.proxy;

import dev.gatehouse.config.Problem;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.config.channel.Ack;
import dev.gatehouse.config.channel.Hello;
import dev.gatehouse.proxy.balance.TargetResolver;
import dev.gatehouse.proxy.channel.ChannelClient;
import dev.gatehouse.proxy.channel.ChannelClientConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A DNS server that never answers stalls nothing but the requests to the names it should
 * resolve: not a snapshot's apply, not the channel client, not requests to other targets on the
 * same event loop (no JDK lookup on a loop, no wait for an answer while a lock is held).
 */
class DnsStallTest extends ProxyTestBase {
    private TinyDns dns;

    @BeforeEach
    void silentDns() throws InterruptedException {
        dns = new TinyDns();
        dns.silent = true;
        closeables.add(dns);
        System.setProperty(TargetResolver.DNS_SERVER_PROPERTY, dns.address());
    }

    @AfterEach
    void clearResolverProperty() {
        System.clearProperty(TargetResolver.DNS_SERVER_PROPERTY);
    }

    /** Routes /named to a target named {@code name} and /static to 127.0.0.1:{@code staticPort}. */
    private static Snapshot namedAndStatic(long version, String name, int staticPort) {
        Upstream named = upstream("default/named", List.of(new Upstream.Target(name, staticPort, 100)));
        return Fixtures.snapshot(version,
                List.of(service("default/named", "default/named", "/", 0, Service.Timeouts.DEFAULT),
                        service("default/static", "default/static")),
                List.of(route("default/named", "default/named").paths("/named").build(),
                        route("default/static", "default/static").paths("/static").build()),
                List.of(named, upstream("default/static", staticPort)), List.of());
    }

    @Test
    void aHungLookupStallsNeitherApplyNorOtherRequestsOnTheSameEventLoop() throws Exception {
        Backend fixed = backend("static");
        proxy = ProxyServer.start(new ProxyConfig("127.0.0.1", 0, 1, Duration.ofSeconds(5)));

        long applyStart = System.nanoTime();
        List<Problem> problems = proxy.apply(namedAndStatic(1, "svc.test", fixed.port()));
        long applyMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - applyStart);
        assertThat(problems).isEmpty();
        assertThat(applyMillis).as("apply does not wait for the silent DNS server").isLessThan(1_000);

        long namedStart = System.nanoTime();
        CompletableFuture<TestClient.Response> named = CompletableFuture.supplyAsync(() -> {
            try {
                return TestClient.get(proxy.port(), "/named");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (proxy.inFlight() == 0) {
            assertThat(System.nanoTime()).as("the request to the named target reaches the proxy").isLessThan(deadline);
            Thread.sleep(1);
        }

        List<Long> latencies = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            long start = System.nanoTime();
            TestClient.Response r = TestClient.get(proxy.port(), "/static");
            latencies.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            assertThat(r.status()).isEqualTo(200);
        }
        assertThat(named).as("the lookup is still hanging while the others were served").isNotDone();
        long worst = latencies.stream().mapToLong(Long::longValue).max().orElseThrow();
        assertThat(worst).as("worst latency (ms) to the static target while the lookup hangs").isLessThan(1_000);

        TestClient.Response failed = named.get(20, TimeUnit.SECONDS);
        long namedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - namedStart);
        assertThat(failed.status()).as("a name that does not resolve is a bad gateway").isEqualTo(502);
        System.out.printf("dns stall: apply %d ms; static target worst %d ms over %d requests while the lookup hung;"
                + " the named request failed after %d ms%n", applyMillis, worst, latencies.size(), namedMillis);
    }

    @Test
    void aHungLookupDoesNotHoldUpTheChannelClient() throws Exception {
        Backend fixed = backend("static");
        proxy = ProxyServer.start(Fixtures.config());
        FakeController controller = new FakeController();
        closeables.add(0, controller);
        ChannelClient client = ChannelClient.start(ChannelClientConfig.of(controller.uri(), null, "p1"), proxy);
        closeables.add(0, client);
        controller.next(Hello.class, Duration.ofSeconds(10));

        List<Long> acks = new ArrayList<>();
        for (int v = 1; v <= 3; v++) {
            long start = System.nanoTime();
            controller.push(namedAndStatic(v, "svc-" + v + ".test", fixed.port()));
            Ack ack = controller.next(Ack.class, Duration.ofSeconds(20));
            acks.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            assertThat(ack.version()).isEqualTo(v);
        }
        assertThat(acks).as("ack latency (ms) of snapshots naming a target the DNS server never answers for")
                .allSatisfy(ms -> assertThat(ms).isLessThan(2_000L));
        assertThat(TestClient.get(proxy.port(), "/static").status()).isEqualTo(200);
        System.out.printf("dns stall: channel client acked 3 snapshots with new unresolvable names in %s ms%n", acks);
    }
}
