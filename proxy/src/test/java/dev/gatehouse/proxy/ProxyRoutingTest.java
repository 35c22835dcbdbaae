package dev.gatehouse.proxy;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/** Routing, path rewriting and forwarded headers, over real sockets. */
class ProxyRoutingTest {
    private Backend api;
    private Backend web;
    private ProxyServer proxy;

    @BeforeEach
    void start() throws Exception {
        api = new Backend("api");
        web = new Backend("web");
        proxy = ProxyServer.start(Fixtures.config());
        List<Route> routes = List.of(
                route("default/strip", "default/api").paths("/strip").build(),
                route("default/keep", "default/api").paths("/keep").stripPath(false).build(),
                route("default/based", "default/based").paths("/based").build(),
                route("default/slash", "default/slashed").paths("/slashed").build(),
                route("default/regex", "default/api").paths("~/users/\\d+").build(),
                route("default/host", "default/web").hosts("web.example.com").paths("/").build(),
                route("default/wild", "default/web").hosts("*.wild.test").paths("/w").stripPath(false).build(),
                route("default/preserve", "default/web").hosts("keep.example.com").preserveHost(true).build(),
                route("default/unresolved", null).paths("/private").build());
        List<Service> services = List.of(
                service("default/api", "default/api"),
                service("default/web", "default/web"),
                service("default/based", "default/api", "/base", 5, Service.Timeouts.DEFAULT),
                service("default/slashed", "default/api", "/base/", 5, Service.Timeouts.DEFAULT));
        assertThat(proxy.apply(Fixtures.snapshot(1, services, routes,
                List.of(upstream("default/api", api.port()), upstream("default/web", web.port())), List.of()))).isEmpty();
    }

    @AfterEach
    void stop() {
        proxy.close();
        api.close();
        web.close();
    }

    @Test
    void stripsTheMatchedPrefixByDefault() throws Exception {
        TestClient.Response r = TestClient.get(proxy.port(), "/strip/a/b?x=1&y=2");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("x-backend")).isEqualTo("api");
        assertThat(r.body()).isEqualTo("GET /a/b?x=1&y=2");
        assertThat(TestClient.get(proxy.port(), "/strip").body()).isEqualTo("GET /");
        assertThat(TestClient.get(proxy.port(), "/strip/").body()).isEqualTo("GET /");
        assertThat(TestClient.get(proxy.port(), "/stripx").status()).as("prefixes match whole segments").isEqualTo(404);
    }

    @Test
    void aRouteWithAnUnresolvedServiceAnswers503InsteadOfFallingThrough() throws Exception {
        TestClient.Response r = TestClient.get(proxy.port(), "/private/data");
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.header("content-type")).startsWith("application/json");
        assertThat(r.body()).startsWith("{\"message\":\"the route's service is not available\",\"request_id\":\"");
        assertThat(r.header("x-backend")).isNull();
        assertThat(TestClient.get(proxy.port(), "/strip/a").header("x-backend")).as("other routes still serve").isEqualTo("api");
    }

    @Test
    void keepsThePathWhenStripPathIsOff() throws Exception {
        assertThat(TestClient.get(proxy.port(), "/keep/a?q").body()).isEqualTo("GET /keep/a?q");
    }

    @Test
    void joinsTheServicePathWithoutDoublingSlashes() throws Exception {
        assertThat(TestClient.get(proxy.port(), "/based/x").body()).isEqualTo("GET /base/x");
        assertThat(TestClient.get(proxy.port(), "/based").body()).isEqualTo("GET /base");
        assertThat(TestClient.get(proxy.port(), "/slashed/x").body()).isEqualTo("GET /base/x");
    }

    @Test
    void regexPathStripsTheMatchedPart() throws Exception {
        assertThat(TestClient.get(proxy.port(), "/users/42/orders").body()).isEqualTo("GET /orders");
    }

    @Test
    void dotSegmentsAreRemovedBeforeMatching() throws Exception {
        TestClient.Response r = TestClient.get(proxy.port(), "/keep/../keep/%2e%2e/keep/z");
        assertThat(r.body()).isEqualTo("GET /keep/z");
    }

    @Test
    void hostsAreMatchedExactlyAndByWildcardIgnoringCaseAndPort() throws Exception {
        assertThat(TestClient.get(proxy.port(), "/any", "Host", "WEB.example.com:8000").header("x-backend")).isEqualTo("web");
        assertThat(TestClient.get(proxy.port(), "/w/1", "Host", "a.b.wild.test").body()).isEqualTo("GET /w/1");
        assertThat(TestClient.get(proxy.port(), "/w/1", "Host", "wild.test").status()).isEqualTo(404);
    }

    @Test
    void hostHeaderIsTheTargetUnlessPreserved() throws Exception {
        TestClient.get(proxy.port(), "/strip/h", "Host", "client.example");
        assertThat(api.seen.get(0).header("host")).isEqualTo("127.0.0.1:" + api.port());
        TestClient.get(proxy.port(), "/", "Host", "keep.example.com");
        assertThat(web.seen.get(0).header("host")).isEqualTo("keep.example.com");
    }

    @Test
    void noMatchIs404WithKongsJsonMessage() throws Exception {
        TestClient.Response r = TestClient.get(proxy.port(), "/nothing-here", "X-Request-Id", "req-123");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.header("content-type")).isEqualTo("application/json");
        assertThat(r.header("x-request-id")).isEqualTo("req-123");
        assertThat(r.body()).isEqualTo("{\"message\":\"no Route matched with those values\",\"request_id\":\"req-123\"}");
        assertThat(api.seen).isEmpty();
    }

    @Test
    void setsForwardedHeadersViaAndRequestId() throws Exception {
        TestClient.Response r = TestClient.get(proxy.port(), "/strip/h", "Host", "client.example:81",
                "X-Forwarded-For", "10.0.0.1", "Via", "1.0 edge", "X-Request-Id", "bad id with spaces");
        Backend.Seen s = api.seen.get(0);
        assertThat(s.header("x-forwarded-for")).as("no trusted proxies: the peer, not what the client wrote")
                .isEqualTo("127.0.0.1");
        assertThat(s.header("x-forwarded-proto")).isEqualTo("http");
        assertThat(s.header("x-forwarded-host")).isEqualTo("client.example");
        assertThat(s.header("x-forwarded-port")).isEqualTo(String.valueOf(proxy.port()));
        assertThat(s.header("via")).isEqualTo("1.0 edge, 1.1 gatehouse");
        String id = s.header("x-request-id");
        assertThat(id).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        assertThat(r.header("x-request-id")).isEqualTo(id);
        assertThat(r.header("via")).isEqualTo("1.1 gatehouse");
        assertThat(r.header("x-gatehouse-upstream-latency")).matches("\\d+");
        assertThat(r.header("x-gatehouse-proxy-latency")).matches("\\d+");
    }

    /**
     * The latency headers time the target and the proxy: a target that answers after 150 ms shows
     * 150 ms or more upstream, on a new upstream connection and on the kept-alive one the next
     * request is sent on at once, and the proxy's own share stays small.
     */
    @Test
    void latencyHeadersTimeTheTargetOnNewAndKeptAliveConnections() throws Exception {
        api.handler((ex, seen) -> {
            try {
                Thread.sleep(150);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Backend.echo(ex, seen);
        });
        try (Http1Client c = new Http1Client(proxy.port())) { // one client connection: one event loop, one pool
            for (int i = 0; i < 2; i++) {
                long sent = System.nanoTime();
                c.write("GET /strip/slow HTTP/1.1\r\nHost: h\r\n\r\n");
                Http1Client.Reply r = c.read();
                long elapsedMillis = (System.nanoTime() - sent) / 1_000_000;
                assertThat(r.status()).isEqualTo(200);
                long upstream = Long.parseLong(r.header("x-gatehouse-upstream-latency"));
                assertThat(upstream).as("request %d: the target's 150 ms", i).isBetween(150L, elapsedMillis);
                assertThat(Long.parseLong(r.header("x-gatehouse-proxy-latency"))).as("request %d", i).isLessThan(100);
            }
        }
        assertThat(api.seen.stream().map(Backend.Seen::remotePort).distinct()).as("the second on the first's connection").hasSize(1);
    }

    @Test
    void removesHopByHopHeadersBothWays() throws Exception {
        api.handler((ex, s) -> {
            ex.getResponseHeaders().add("Connection", "X-Secret-Hop");
            ex.getResponseHeaders().add("X-Secret-Hop", "1");
            ex.getResponseHeaders().add("Keep-Alive", "timeout=5");
            Backend.respond(ex, 200, "ok");
        });
        TestClient.Response r = TestClient.raw(proxy.port(), "GET /strip HTTP/1.1\r\nHost: a\r\n"
                + "Connection: close, X-Client-Hop\r\nX-Client-Hop: 1\r\nKeep-Alive: 5\r\nTE: trailers\r\n"
                + "Upgrade: websocket\r\nProxy-Connection: keep-alive\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        Backend.Seen s = api.seen.get(0);
        assertThat(s.headers()).doesNotContainKeys("x-client-hop", "keep-alive", "te", "upgrade", "proxy-connection");
        assertThat(r.headers()).doesNotContainKeys("x-secret-hop", "keep-alive");
    }

    @Test
    void keepAliveClientGetsSeveralResponsesOnOneConnection() throws Exception {
        try (TestClient c = new TestClient(proxy.port())) {
            for (int i = 0; i < 5; i++) {
                c.write("GET /strip/" + i + " HTTP/1.1\r\nHost: a\r\n\r\n");
                assertThat(c.read(false).body()).isEqualTo("GET /" + i);
            }
            c.write("GET /strip/a HTTP/1.1\r\nHost: a\r\n\r\nGET /strip/b HTTP/1.1\r\nHost: a\r\n\r\n");
            assertThat(c.read(false).body()).isEqualTo("GET /a");
            assertThat(c.read(false).body()).isEqualTo("GET /b");
            c.write("HEAD /strip/h HTTP/1.1\r\nHost: a\r\n\r\n");
            TestClient.Response head = c.read(true);
            assertThat(head.status()).isEqualTo(200);
            c.write("POST /strip/p HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello");
            assertThat(c.read(false).body()).isEqualTo("POST /p");
        }
        assertThat(api.seen.get(api.seen.size() - 1).bodyBytes()).isEqualTo(5);
    }

    @Test
    void absoluteFormTargetRoutesOnItsAuthority() throws Exception {
        TestClient.Response r = TestClient.raw(proxy.port(), "GET http://web.example.com/abs?q=1 HTTP/1.1\r\n"
                + "Host: other.example\r\nConnection: close\r\n\r\n");
        assertThat(r.header("x-backend")).isEqualTo("web");
        assertThat(r.body()).isEqualTo("GET /abs?q=1");
    }

    @Test
    void chunkedUploadIsStreamedUpstream() throws Exception {
        TestClient.Response r = TestClient.raw(proxy.port(), "POST /strip/c HTTP/1.1\r\nHost: a\r\n"
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        assertThat(api.seen.get(0).bodyBytes()).isEqualTo(11);
    }

    @Test
    void requestIdIsSentBackOnEveryResponse() throws Exception {
        assertThat(TestClient.get(proxy.port(), "/strip", "X-Request-Id", "mine-1").header("x-request-id")).isEqualTo("mine-1");
        assertThat(api.seen.get(0).header("x-request-id")).isEqualTo("mine-1");
        assertThat(TestClient.get(proxy.port(), "/nothing").header("x-request-id")).isNotBlank();
    }
}
