package dev.gatehouse.proxy;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.RouteFilters;
import dev.gatehouse.config.RouteFilters.Header;
import dev.gatehouse.config.RouteFilters.HeaderEdits;
import dev.gatehouse.config.RouteFilters.Redirect;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Upstream;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Route filters over real sockets: the exact request head a recording backend receives, the exact
 * response headers the client gets, redirects and direct answers that never reach a backend.
 */
class RouteFiltersTest {
    private final List<AutoCloseable> started = new ArrayList<>();
    private ProxyServer proxy;
    private RawBackend backend;

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        for (AutoCloseable c : started) {
            c.close();
        }
    }

    private static HeaderEdits edits(List<Header> set, List<Header> add, List<String> remove) {
        return new HeaderEdits(set, add, remove);
    }

    private void start(List<Route> routes, List<Consumer> consumers) throws Exception {
        backend = new RawBackend();
        started.add(backend);
        backend.responder(r -> ("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Upstream-Set: old\r\nx-upstream-set: older\r\n"
                + "X-Upstream-Add: first\r\nX-Upstream-Remove: gone\r\nX-Kept: yes\r\n\r\nok").getBytes(StandardCharsets.ISO_8859_1));
        Upstream u = upstream("default/u", backend.port());
        List<Service> services = List.of(service("default/s", u.id()));
        proxy = ProxyServer.start(Fixtures.config(), new SimpleMeterRegistry());
        assertThat(proxy.apply(Fixtures.snapshot(1, services, routes, List.of(u), consumers))).isEmpty();
    }

    /** The head the backend received, with the proxy's generated request id blanked. */
    private String receivedHead() {
        assertThat(backend.requests).hasSize(1);
        return backend.requests.get(0).head().replaceAll("(?m)^x-request-id: .*$", "x-request-id: *");
    }

    @Test
    void requestEditsReachTheBackendExactlyAsPromised() throws Exception {
        RouteFilters f = new RouteFilters(edits(List.of(new Header("X-Set", "set-value")),
                List.of(new Header("X-Add", "added"), new Header("X-New", "new")), List.of("X-Remove", "X-Absent")),
                null, null, null);
        start(List.of(route("default/r", "default/s").paths("/app").stripPath(false).filters(f).build()), List.of());

        TestClient.Response res = TestClient.raw(proxy.port(), "GET /app/x?q=1 HTTP/1.1\r\nHost: gw.test\r\n"
                + "x-set: client-1\r\nX-Set: client-2\r\nx-add: client\r\nX-Remove: secret\r\nX-Other: kept\r\n"
                + "Connection: close\r\n\r\n");

        assertThat(res.status()).isEqualTo(200);
        int port = proxy.port();
        assertThat(receivedHead()).isEqualTo("GET /app/x?q=1 HTTP/1.1\r\n"
                + "x-add: client\r\n"
                + "X-Other: kept\r\n"
                + "x-request-id: *\r\n"
                + "x-forwarded-for: 127.0.0.1\r\n"
                + "x-forwarded-proto: http\r\n"
                + "x-forwarded-host: gw.test\r\n"
                + "x-forwarded-port: " + port + "\r\n"
                + "via: 1.1 gatehouse\r\n"
                + "X-Set: set-value\r\n"
                + "X-Add: added\r\n"
                + "X-New: new\r\n"
                + "host: 127.0.0.1:" + backend.port() + "\r\n");
    }

    @Test
    void responseEditsReachTheClientExactly() throws Exception {
        RouteFilters f = new RouteFilters(null, edits(List.of(new Header("X-Upstream-Set", "new")),
                List.of(new Header("X-Upstream-Add", "second"), new Header("x-lower-add", "v")), List.of("X-Upstream-Remove")),
                null, null);
        start(List.of(route("default/r", "default/s").paths("/").filters(f).build()), List.of());

        TestClient.Response res = TestClient.get(proxy.port(), "/");

        assertThat(res.status()).isEqualTo(200);
        assertThat(res.body()).isEqualTo("ok");
        assertThat(res.headers("X-Upstream-Set")).containsExactly("new");
        assertThat(res.headers("X-Upstream-Add")).containsExactly("first", "second");
        assertThat(res.headers("X-Lower-Add")).containsExactly("v");
        assertThat(res.headers("X-Upstream-Remove")).isEmpty();
        assertThat(res.headers("X-Kept")).containsExactly("yes");
        assertThat(res.headers("X-Request-Id")).hasSize(1);
    }

    @Test
    void editsAndRedirectsApplyOverHttp2Too() throws Exception {
        RouteFilters f = new RouteFilters(edits(List.of(new Header("X-Set", "h2")), null, List.of("X-Remove")),
                edits(null, List.of(new Header("X-Upstream-Add", "second")), List.of("X-Upstream-Remove")), null, null);
        start(List.of(route("default/r", "default/s").paths("/").stripPath(false).filters(f).build(),
                route("default/go", null).paths("/go").filters(redirect("https", null, null, null, null, 301)).build()), List.of());

        try (H2Client c = new H2Client(proxy.port())) {
            H2Client.Response r = c.exchange(H2Client.headers("GET", "/x", "gw.test").add("x-remove", "secret"), null);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.headers().getAll("x-upstream-add")).extracting(CharSequence::toString).containsExactly("first", "second");
            assertThat(r.header("x-upstream-remove")).isNull();
            H2Client.Response go = c.exchange(H2Client.headers("GET", "/go/on?a=1", "gw.test:8000"), null);
            assertThat(go.status()).isEqualTo(301);
            assertThat(go.header("location")).isEqualTo("https://gw.test/go/on?a=1");
        }
        assertThat(backend.requests).hasSize(1);
        assertThat(backend.requests.get(0).header("X-Set")).containsExactly("h2");
        assertThat(backend.requests.get(0).header("X-Remove")).isEmpty();
    }

    @Test
    void aRouteWithoutFiltersPassesHeadersUntouched() throws Exception {
        start(List.of(route("default/r", "default/s").paths("/").build()), List.of());

        TestClient.Response res = TestClient.get(proxy.port(), "/", "X-Remove", "kept");

        assertThat(res.headers("X-Upstream-Remove")).containsExactly("gone");
        assertThat(backend.requests.get(0).header("X-Remove")).containsExactly("kept");
    }

    @Test
    void aFullPathRewriteReplacesThePathAndKeepsTheQuery() throws Exception {
        start(List.of(route("default/r", "default/s").paths("/full/one").stripPath(false)
                .filters(new RouteFilters(null, null, null, "/one")).build()), List.of());

        assertThat(TestClient.get(proxy.port(), "/full/one/two?a=b").status()).isEqualTo(200);

        assertThat(backend.requests.get(0).requestLine()).isEqualTo("GET /one?a=b HTTP/1.1");
    }

    @Test
    void redirectsAnswerWithoutTheBackend() throws Exception {
        start(List.of(
                route("default/host", null).paths("/host").filters(redirect(null, "example.org", null, null, null, 302)).build(),
                route("default/prefix", null).paths("/original-prefix")
                        .filters(redirect(null, null, null, null, "/replacement-prefix", 301)).build(),
                route("default/full", null).paths("/full").filters(redirect("https", null, 8443, "/replaced", null, 307)).build(),
                route("default/port", null).paths("/port").filters(redirect("http", null, 80, null, null, 308)).build()),
                List.of());

        TestClient.Response host = TestClient.get(proxy.port(), "/host/x?y=1", "Host", "gw.test:8000");
        assertThat(host.status()).isEqualTo(302);
        assertThat(host.header("Location")).isEqualTo("http://example.org/host/x?y=1");
        TestClient.Response prefix = TestClient.get(proxy.port(), "/original-prefix/lemon", "Host", "gw.test:8000");
        assertThat(prefix.status()).isEqualTo(301);
        assertThat(prefix.header("Location")).isEqualTo("http://gw.test/replacement-prefix/lemon");
        TestClient.Response full = TestClient.get(proxy.port(), "/full/a/b", "Host", "gw.test");
        assertThat(full.status()).isEqualTo(307);
        assertThat(full.header("Location")).isEqualTo("https://gw.test:8443/replaced");
        TestClient.Response port = TestClient.get(proxy.port(), "/port", "Host", "gw.test:9000");
        assertThat(port.status()).isEqualTo(308);
        assertThat(port.header("Location")).isEqualTo("http://gw.test/port");
        assertThat(backend.requests).isEmpty();
    }

    @Test
    void aRedirectThatKeepsTheHostNeedsOne() throws Exception {
        start(List.of(route("default/r", null).paths("/").filters(redirect("https", null, null, null, null, 302)).build()),
                List.of());

        TestClient.Response res = TestClient.raw(proxy.port(), "GET / HTTP/1.0\r\n\r\n");

        assertThat(res.status()).isEqualTo(400);
        assertThat(backend.requests).isEmpty();
    }

    @Test
    void aDirectStatusAnswersItselfAfterKeyAuth() throws Exception {
        start(List.of(route("default/r", null).paths("/").directStatus(500).build(),
                route("default/keyed", null).paths("/keyed").directStatus(500)
                        .keyAuth(new Route.KeyAuth(null, true, false, true, null)).build(),
                route("default/keyed-redirect", null).paths("/go")
                        .keyAuth(new Route.KeyAuth(null, true, false, true, null))
                        .filters(redirect(null, "example.org", null, null, null, 302)).build()),
                List.of(Fixtures.consumer("default/c", "c", "secret-key")));

        TestClient.Response res = TestClient.get(proxy.port(), "/anything");
        assertThat(res.status()).isEqualTo(500);
        assertThat(res.header("Content-Type")).isEqualTo("application/json");
        assertThat(res.body()).contains("no backend");
        assertThat(TestClient.get(proxy.port(), "/keyed").status()).isEqualTo(401);
        assertThat(TestClient.get(proxy.port(), "/keyed", "apikey", "secret-key").status()).isEqualTo(500);
        assertThat(TestClient.get(proxy.port(), "/go").status()).isEqualTo(401);
        TestClient.Response redirected = TestClient.get(proxy.port(), "/go", "apikey", "secret-key");
        assertThat(redirected.status()).isEqualTo(302);
        assertThat(redirected.header("Location")).isEqualTo("http://example.org/go");
        assertThat(backend.requests).isEmpty();
    }

    @Test
    void aDirectShareAnswersExactlyItsPartOfTheRequests() throws Exception {
        start(List.of(route("default/r", "default/s").paths("/").directShare(500, 1, 4).build()), List.of());

        int direct = 0;
        for (int i = 0; i < 100; i++) {
            int status = TestClient.get(proxy.port(), "/" + i).status();
            assertThat(status).isIn(200, 500);
            direct += status == 500 ? 1 : 0;
            assertThat(direct).as("after %d requests", i + 1).isEqualTo((i + 1) / 4);
        }
        assertThat(backend.requests).hasSize(75);
    }

    @Test
    void queryParameterConditionsChooseTheRoute() throws Exception {
        start(List.of(route("default/plain", null).paths("/").directStatus(404 + 100).build(),
                route("default/animal", "default/s").paths("/").stripPath(false).query("animal", "whale", false).build(),
                route("default/regex", null).paths("/").query("id", "[0-9]+", true).directStatus(502).build()), List.of());

        assertThat(TestClient.get(proxy.port(), "/?animal=whale").status()).isEqualTo(200);
        assertThat(TestClient.get(proxy.port(), "/?animal=Whale").status()).isEqualTo(504);
        assertThat(TestClient.get(proxy.port(), "/?x=1&animal=whale&animal=dolphin").status()).isEqualTo(200);
        assertThat(TestClient.get(proxy.port(), "/?animal=dolphin&animal=whale").status()).isEqualTo(504);
        assertThat(TestClient.get(proxy.port(), "/?id=42").status()).isEqualTo(502);
        assertThat(TestClient.get(proxy.port(), "/?id=42x").status()).isEqualTo(504);
        assertThat(backend.requests).extracting(RawBackend.Request::path)
                .containsExactly("/?animal=whale", "/?x=1&animal=whale&animal=dolphin");
    }

    private static RouteFilters redirect(String scheme, String host, Integer port, String fullPath, String prefix, int status) {
        return new RouteFilters(null, null, new Redirect(scheme, host, port, fullPath, prefix, status), null);
    }
}
