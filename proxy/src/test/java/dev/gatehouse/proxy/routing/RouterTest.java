package dev.gatehouse.proxy.routing;

import dev.gatehouse.config.Route;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.function.Function;

import static dev.gatehouse.proxy.Fixtures.route;
import static org.assertj.core.api.Assertions.assertThat;

/** The precedence rules of docs/routing.md, one row per rule. */
class RouterTest {
    private static final List<Route> ROUTES = List.of(
            route("default/root", "s").paths("/").build(),
            route("default/profile", "s").paths("/profile").build(),
            route("default/profile-settings", "s").paths("/profile/settings").build(),
            route("default/users-regex", "s").paths("~/users/\\d+$").build(),
            route("default/users", "s").paths("/users").build(),
            route("default/api-get", "s").paths("/api").methods("GET").build(),
            route("default/api", "s").paths("/api").build(),
            route("default/api-v2", "s").paths("/api").header("x-version", "v2").build(),
            route("default/api-v2-get", "s").paths("/api").methods("GET").header("X-Version", "v2", "v3").build(),
            route("default/p-low", "s").paths("/api/p").priority(1).build(),
            route("default/p-high", "s").paths("/api/p").priority(10).build(),
            route("default/same-1", "s").paths("/same").build(),
            route("default/same-2", "s").paths("/same").build(),
            route("default/files-special", "s").paths("/files/special").build(),
            route("default/files-regex", "s").paths("~/files/").build(),
            route("default/exact-host", "s").hosts("api.example.com").paths("/").build(),
            route("default/exact-host-post", "s").hosts("api.example.com").paths("/deep").methods("POST").build(),
            route("default/wild", "s").hosts("*.example.com").paths("/").build(),
            route("default/wild-eu", "s").hosts("*.eu.example.com").paths("/").build(),
            route("default/no-path", "s").hosts("nopath.test").build(),
            route("default/exact", "s").paths("=/exact").build(),
            route("default/exact-prefix", "s").paths("/exact").build(),
            route("default/exact-long", "s").paths("=/exact/a/b").build(),
            route("default/exact-users", "s").paths("=/users/7").build(),
            route("default/exact-slash", "s").paths("=/slash/").build(),
            route("default/exact-get", "s").paths("=/verb").methods("GET").build(),
            route("default/one-label", "s").hosts("+.one.test").paths("/").build(),
            route("default/any-depth", "s").hosts("*.one.test").paths("/").build(),
            route("default/only-one", "s").hosts("+.only.test").paths("/").build(),
            route("default/one-label-deep", "s").hosts("+.b.one.test").paths("/deep").build());

    private static final Router<String> ROUTER = Router.compile(ROUTES, Route::id);

    @ParameterizedTest(name = "{0} {1} {2} {3} -> {4}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            # host               | method | path                  | header x-version | expected route       | matched
            -                    | GET    | /                     | -                | default/root         | 1
            -                    | GET    | /profile              | -                | default/profile      | 8
            -                    | GET    | /profilex             | -                | default/root         | 1
            -                    | GET    | /profile/             | -                | default/profile      | 8
            -                    | GET    | /profile;v=1          | -                | default/profile      | 8
            -                    | GET    | /profile/settingsx    | -                | default/profile      | 8
            -                    | GET    | /profile/settings/x   | -                | default/profile-settings | 17
            -                    | GET    | /users/42             | -                | default/users-regex  | 9
            -                    | GET    | /users/42/orders      | -                | default/users        | 6
            -                    | GET    | /api/x                | -                | default/api-get      | 4
            -                    | POST   | /api                  | -                | default/api          | 4
            -                    | POST   | /api                  | V2               | default/api-v2       | 4
            -                    | GET    | /api                  | v3               | default/api-v2-get   | 4
            -                    | GET    | /api                  | v2               | default/api-v2-get   | 4
            -                    | GET    | /api/p                | -                | default/p-high       | 6
            -                    | GET    | /same                 | -                | default/same-1       | 5
            -                    | GET    | /files/special/a      | -                | default/files-regex  | 7
            api.example.com      | GET    | /profile              | -                | default/exact-host   | 1
            API.Example.COM:8443 | GET    | /                     | -                | default/exact-host   | 1
            api.example.com      | GET    | /deep                 | -                | default/exact-host   | 1
            api.example.com      | POST   | /deep/x               | -                | default/exact-host-post | 5
            www.example.com      | GET    | /x                    | -                | default/wild         | 1
            a.b.example.com      | GET    | /x                    | -                | default/wild         | 1
            a.eu.example.com     | GET    | /x                    | -                | default/wild-eu      | 1
            example.com          | GET    | /profile              | -                | default/profile      | 8
            example.com.         | GET    | /x                    | -                | default/root         | 1
            nopath.test          | DELETE | /anything/at/all      | -                | default/no-path      | 0
            -                    | GET    | /exact                | -                | default/exact        | 6
            -                    | GET    | /exact/               | -                | default/exact-prefix | 6
            -                    | GET    | /exact/a              | -                | default/exact-prefix | 6
            -                    | GET    | /exact/a/b            | -                | default/exact-long   | 10
            -                    | GET    | /exact/a/b/c          | -                | default/exact-prefix | 6
            -                    | GET    | /exactx               | -                | default/root         | 1
            -                    | GET    | /EXACT                | -                | default/root         | 1
            -                    | GET    | /users/7              | -                | default/exact-users  | 8
            -                    | GET    | /users/8              | -                | default/users-regex  | 8
            -                    | GET    | /slash/               | -                | default/exact-slash  | 7
            -                    | GET    | /slash                | -                | default/root         | 1
            -                    | GET    | /verb                 | -                | default/exact-get    | 5
            -                    | POST   | /verb                 | -                | default/root         | 1
            a.one.test           | GET    | /x                    | -                | default/one-label    | 1
            a.b.one.test         | GET    | /x                    | -                | default/any-depth    | 1
            a.b.one.test         | GET    | /deep/x               | -                | default/one-label-deep | 5
            one.test             | GET    | /x                    | -                | default/root         | 1
            a.only.test          | GET    | /x                    | -                | default/only-one     | 1
            a.b.only.test        | GET    | /x                    | -                | default/root         | 1
            .only.test           | GET    | /x                    | -                | default/root         | 1
            """)
    void precedence(String host, String method, String path, String version, String expected, int matched) {
        HttpHeaders headers = new DefaultHttpHeaders();
        if (version != null) {
            headers.set("X-Version", version);
        }
        RouteMatch<String> m = ROUTER.match(host, method, path, headers);
        assertThat(m).as("a match").isNotNull();
        assertThat(m.destination()).isEqualTo(expected);
        assertThat(m.matched()).as("matched length").isEqualTo(matched);
    }

    @Test
    void noMatchIsNull() {
        Router<String> router = Router.compile(List.of(route("default/a", "s").paths("/a").methods("GET").build()), Route::id);
        assertThat(router.match("h", "GET", "/b", new DefaultHttpHeaders())).isNull();
        assertThat(router.match("h", "POST", "/a", new DefaultHttpHeaders())).isNull();
        assertThat(router.match(null, "GET", "/a", new DefaultHttpHeaders())).isNotNull();
    }

    @Test
    void routesMappedToNullAreLeftOut() {
        Function<Route, String> onlyB = r -> r.id().endsWith("b") ? r.id() : null;
        Router<String> router = Router.compile(List.of(route("default/a", "s").paths("/x/y").build(),
                route("default/b", "s").paths("/x").build()), onlyB);
        assertThat(router.match(null, "GET", "/x/y", new DefaultHttpHeaders()).destination()).isEqualTo("default/b");
    }

    @Test
    void hostNameDropsPortAndCaseAndKeepsIpv6Brackets() {
        assertThat(Router.hostName("Example.COM:80")).isEqualTo("example.com");
        assertThat(Router.hostName("[::1]:8000")).isEqualTo("[::1]");
        assertThat(Router.hostName("[::1]")).isEqualTo("[::1]");
    }
}
