package dev.gatehouse.proxy;

import dev.gatehouse.config.Route;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static dev.gatehouse.proxy.Fixtures.consumer;
import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The seed's two routes ({@code /} open, {@code /profile} with key-auth and stripPath false)
 * attacked with path tricks, over real sockets, looking at the exact request line a recording
 * backend receives: no spelling of the key-auth path reaches the backend without the key, and
 * the path the backend gets is the one the route matched.
 */
class EdgeBypassTest {
    private static RawBackend backend;
    private static ProxyServer proxy;

    @BeforeAll
    static void start() throws Exception {
        backend = new RawBackend();
        proxy = ProxyServer.start(Fixtures.config());
        List<Route> routes = List.of(
                route("default/root", "default/s").paths("/").build(),
                route("default/profile", "default/s").paths("/profile").stripPath(false)
                        .keyAuth(new Route.KeyAuth(List.of(), true, true, true, null)).build(),
                route("default/api", "default/public").paths("/api").build(),
                route("default/regex", "default/public").paths("~/r").build(),
                route("default/files", "default/s").paths("/files").allowEncodedSlashes(true).build());
        assertThat(proxy.apply(Fixtures.snapshot(1,
                List.of(service("default/s", "default/u"), service("default/public", "default/u", "/public/", 0,
                        dev.gatehouse.config.Service.Timeouts.DEFAULT)),
                routes, List.of(upstream("default/u", backend.port())),
                List.of(consumer("uid-moesif", "moesif", "my-secret-key"))))).isEmpty();
    }

    @AfterAll
    static void stop() {
        proxy.close();
        backend.close();
    }

    @BeforeEach
    void clear() {
        backend.requests.clear();
    }

    @ParameterizedTest(name = "{0} without a key -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            //profile             | 401
            ///profile            | 401
            /./profile            | 401
            /x/../profile         | 401
            /%2e/profile          | 401
            /x/%2E%2E/profile     | 401
            /%70rofile            | 401
            /profile/             | 401
            /profile;jsessionid=1 | 401
            /profile/x/..         | 401
            /profile%2F           | 400
            /x%2F..%2Fprofile     | 400
            /x%5C..%5Cprofile     | 400
            /../profile           | 400
            /%2e%2e/profile       | 400
            /x/..;/profile        | 400
            /x\\..\\profile     | 400
            /profile%00           | 400
            /profile%zz           | 400
            """)
    void noSpellingOfTheKeyAuthPathPassesWithoutTheKey(String path, int status) throws Exception {
        TestClient.Response r = TestClient.get(proxy.port(), path);
        assertThat(r.status()).as(path).isEqualTo(status);
        Thread.sleep(20);
        assertThat(backend.requests).as("requests the backend received for " + path).isEmpty();
    }

    @ParameterizedTest(name = "{0} with the key reaches the backend as {1}")
    @CsvSource(delimiter = '|', textBlock = """
            //profile         | /profile
            /x/../profile     | /profile
            /%70rofile        | /profile
            /profile/a//b/./c | /profile/a/b/c
            """)
    void withTheKeyTheBackendGetsTheNormalisedPath(String path, String upstream) throws Exception {
        TestClient.Response r = TestClient.get(proxy.port(), path, "apikey", "my-secret-key");
        assertThat(r.status()).isEqualTo(200);
        assertThat(backend.requests).hasSize(1);
        RawBackend.Request seen = backend.requests.get(0);
        assertThat(seen.requestLine()).isEqualTo("GET " + upstream + " HTTP/1.1");
        assertThat(seen.header("x-consumer-username")).containsExactly("moesif");
        assertThat(seen.header("apikey")).as("hideCredentials").isEmpty();
    }

    @ParameterizedTest(name = "{0} is not the key-auth path and reaches the open route as is")
    @CsvSource(delimiter = '|', textBlock = """
            /profilex
            /PROFILE
            /Profile/x
            /profile..
            """)
    void otherPathsGoToTheOpenRouteUnchanged(String path) throws Exception {
        TestClient.Response r = TestClient.get(proxy.port(), path, "X-Consumer-ID", "forged", "X-Consumer-Username", "admin");
        assertThat(r.status()).isEqualTo(200);
        RawBackend.Request seen = backend.requests.get(0);
        assertThat(seen.path()).isEqualTo(path);
        assertThat(seen.header("x-consumer-id")).as("forged identity removed").isEmpty();
        assertThat(seen.header("x-consumer-username")).isEmpty();
    }

    @Test
    void aPrefixMatchesOnlyWholeSegmentsSoNothingClimbsOutOfTheServicePath() throws Exception {
        // DESIGN §8: route /api, service path /public/: /api../secret must not become /public/../secret
        assertThat(TestClient.get(proxy.port(), "/api../secret").status()).isEqualTo(200);
        assertThat(backend.requests.get(0).path()).as("went to the open route, unrewritten").isEqualTo("/api../secret");
        backend.requests.clear();
        assertThat(TestClient.get(proxy.port(), "/api/x/../y").status()).isEqualTo(200);
        assertThat(backend.requests.get(0).path()).isEqualTo("/public/y");
    }

    @Test
    void aRegexThatStripsMidSegmentCannotLeaveTheServicePath() throws Exception {
        // ~/r strips "/r" from "/r../secret": the join would be /public/../secret
        TestClient.Response r = TestClient.get(proxy.port(), "/r../secret");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.body()).contains("leaves the service path");
        assertThat(backend.requests).isEmpty();
        assertThat(TestClient.get(proxy.port(), "/rx/y").status()).isEqualTo(200);
        assertThat(backend.requests.get(0).path()).isEqualTo("/public/x/y");
    }

    @Test
    void aRouteThatAllowsEncodedSlashesForwardsThemAsSent() throws Exception {
        assertThat(TestClient.get(proxy.port(), "/files/a%2fb%5Cc").status()).isEqualTo(200);
        assertThat(backend.requests.get(0).path()).as("escapes kept, hex upper-cased").isEqualTo("/a%2Fb%5Cc");
    }

    @Test
    void theAbsoluteFormAuthorityWinsOverHost() throws Exception {
        TestClient.Response r = TestClient.raw(proxy.port(),
                "GET http://gw.example/profile HTTP/1.1\r\nHost: other\r\napikey: my-secret-key\r\nConnection: close\r\n\r\n");
        assertThat(r.status()).isEqualTo(200);
        RawBackend.Request seen = backend.requests.get(0);
        assertThat(seen.requestLine()).isEqualTo("GET /profile HTTP/1.1");
        assertThat(seen.header("x-forwarded-host")).containsExactly("gw.example");
    }
}
