package dev.gatehouse.proxy;

import com.sun.net.httpserver.HttpServer;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.proxy.balance.TargetResolver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * DNS-based balancing against a tiny DNS server on loopback (no other DNS server is asked):
 * every A record is a target once the first answer arrives, a changed answer is picked up after
 * the TTL, a silent server leaves the last good answer in use.
 */
class DnsTargetsTest extends ProxyTestBase {

    @AfterEach
    void clearResolverProperties() {
        System.clearProperty(TargetResolver.DNS_SERVER_PROPERTY);
        System.clearProperty(TargetResolver.TTL_FLOOR_PROPERTY);
    }

    private HttpServer server(String ip, int port, String name) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(ip, port), 16);
        s.createContext("/", ex -> {
            byte[] b = name.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("X-Backend", name);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        s.start();
        closeables.add(() -> s.stop(0));
        return s;
    }

    private Map<String, Integer> spread(int n) throws IOException {
        Map<String, Integer> out = new HashMap<>();
        for (int i = 0; i < n; i++) {
            TestClient.Response r = TestClient.get(proxy.port(), "/");
            assertThat(r.status()).isEqualTo(200);
            out.merge(r.header("x-backend"), 1, Integer::sum);
        }
        return out;
    }

    @Test
    void everyRecordIsATargetAndAChangedAnswerIsFollowed() throws Exception {
        HttpServer a = server("127.0.0.1", 0, "a");
        int port = a.getAddress().getPort();
        server("127.0.0.2", port, "b");
        TinyDns dns = new TinyDns();
        closeables.add(0, dns);
        dns.answers = List.of("127.0.0.1", "127.0.0.2");
        System.setProperty(TargetResolver.DNS_SERVER_PROPERTY, dns.address());
        System.setProperty(TargetResolver.TTL_FLOOR_PROPERTY, "1s");

        proxy = ProxyServer.start(Fixtures.config());
        Upstream u = new Upstream("default/u", Fixtures.source("Upstream", "default/u"), Upstream.Algorithm.ROUND_ROBIN,
                null, null, List.of(new Upstream.Target("svc.test", port, 100)), null, 0);
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").build()), List.of(u), List.of()))).isEmpty();
        // The first answer arrives after apply returned (apply never waits on DNS): until then the
        // name is one target, resolved when connecting; then every record is a target.
        assertThat(TestClient.get(proxy.port(), "/").status()).isEqualTo(200);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (proxy.balancers().upstreams().get("default/u").targets().size() < 2) {
            assertThat(System.nanoTime()).as("both records become targets").isLessThan(deadline);
            Thread.sleep(10);
        }
        assertThat(proxy.balancers().upstreams().get("default/u").targets()).extracting(t -> t.key())
                .containsExactly("svc.test:" + port + "@127.0.0.1", "svc.test:" + port + "@127.0.0.2");
        assertThat(spread(20)).containsEntry("a", 10).containsEntry("b", 10);

        dns.answers = List.of("127.0.0.2");
        long start = System.nanoTime();
        int inARow = 0;
        while (inARow < 10) {
            assertThat(System.nanoTime() - start).as("the new answer is followed in time").isLessThan(TimeUnit.SECONDS.toNanos(5));
            TestClient.Response r = TestClient.get(proxy.port(), "/");
            assertThat(r.status()).isEqualTo(200);
            inARow = "b".equals(r.header("x-backend")) ? inARow + 1 : 0;
        }
        System.out.printf("dns: a changed answer was followed after %d ms (TTL 1 s)%n",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        assertThat(proxy.balancers().upstreams().get("default/u").find("svc.test:" + port + "@127.0.0.2")).isNotNull();
        assertThat(proxy.balancers().upstreams().get("default/u").find("svc.test:" + port + "@127.0.0.1")).isNull();

        dns.silent = true;
        // a lookup failed (its query unanswered for the query timeout) and the resolver asked
        // again: the failure was handled by then, and the last answer must still be in use
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        long timeout = TimeUnit.MILLISECONDS.toNanos(dev.gatehouse.proxy.balance.DnsResolvers.QUERY_TIMEOUT_MILLIS);
        while (dns.unansweredAtNanos.isEmpty()
                || dns.unansweredAtNanos.get(dns.unansweredAtNanos.size() - 1) - dns.unansweredAtNanos.get(0) < timeout) {
            assertThat(System.nanoTime()).as("a failed lookup, then another").isLessThan(until);
            Thread.sleep(10);
        }
        assertThat(spread(10)).containsExactly(Map.entry("b", 10));
    }
}
