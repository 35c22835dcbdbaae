package dev.gatehouse.proxy.routing;

import dev.gatehouse.config.Route;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static dev.gatehouse.proxy.Fixtures.route;
import static org.assertj.core.api.Assertions.assertThat;

/** A router compiled from the one before takes over the compiled parts of routes that did not change, and only those. */
class RouterReuseTest {
    private static List<Route> routes(String regex, String apiHeader) {
        List<Route> routes = new ArrayList<>();
        routes.add(route("default/users", "s").paths(regex, "/users").build());
        routes.add(route("default/api", "s").hosts("api.example.com").paths("/api").header("x-version", apiHeader).build());
        for (int i = 0; i < 100; i++) {
            routes.add(route("default/r" + i, "s").paths("~/r" + i + "/\\d+$", "/p" + i).methods("GET").build());
        }
        return routes;
    }

    @Test
    void anEditOfOneRouteCompilesThatRouteAloneAndMatchesAsAFreshCompile() {
        Router<String> before = Router.compile(routes("~/users/\\d+$", "v1"), Route::id);
        Map<String, String> offered = new ConcurrentHashMap<>();
        List<Route> edited = routes("~/members/\\d+$", "v1");
        Router<String> after = Router.compile(edited, before, (r, previous) -> {
            if (previous != null) {
                offered.put(r.id(), previous);
            }
            return r.id();
        });
        for (int i = 0; i < 100; i++) {
            String id = "default/r" + i;
            assertThat(after.matcher(id)).as(id).isSameAs(before.matcher(id));
            assertThat(after.matcher(id).regex("~/r" + i + "/\\d+$")).isSameAs(before.matcher(id).regex("~/r" + i + "/\\d+$"));
        }
        assertThat(after.matcher("default/api")).isSameAs(before.matcher("default/api"));
        assertThat(after.matcher("default/users")).isNotSameAs(before.matcher("default/users"));
        assertThat(offered).hasSize(101).doesNotContainKey("default/users");

        Router<String> fresh = Router.compile(edited, Route::id);
        for (String path : List.of("/users/7", "/members/7", "/members/x", "/users", "/r5/12", "/p9", "/api", "/none")) {
            assertThat(id(after.match("any", "GET", path, new DefaultHttpHeaders())))
                    .as(path).isEqualTo(id(fresh.match("any", "GET", path, new DefaultHttpHeaders())));
        }
        assertThat(id(after.match("any", "GET", "/members/7", new DefaultHttpHeaders()))).isEqualTo("default/users");
        assertThat(after.match("any", "GET", "/users/7", new DefaultHttpHeaders())).isNotNull(); // the /users prefix still
        assertThat(after.match("any", "GET", "/users/7", new DefaultHttpHeaders()).matched()).isEqualTo("/users".length());
    }

    @Test
    void aChangedConditionIsCompiledAnewAndMatchesTheNewValue() {
        Router<String> before = Router.compile(routes("~/users/\\d+$", "v1"), Route::id);
        Router<String> after = Router.compile(routes("~/users/\\d+$", "v2"), before, (r, previous) -> r.id());
        assertThat(after.matcher("default/api")).isNotSameAs(before.matcher("default/api"));
        assertThat(after.matcher("default/users")).isSameAs(before.matcher("default/users"));
        assertThat(after.match("api.example.com", "GET", "/api", new DefaultHttpHeaders().add("x-version", "v1"))).isNull();
        assertThat(id(after.match("api.example.com", "GET", "/api", new DefaultHttpHeaders().add("x-version", "v2"))))
                .isEqualTo("default/api");
    }

    @Test
    void aDestinationRefusedForTheNewSnapshotLeavesTheRouteOut() {
        Router<String> before = Router.compile(routes("~/users/\\d+$", "v1"), Route::id);
        Router<String> after = Router.compile(routes("~/users/\\d+$", "v1"), before,
                (r, previous) -> r.id().equals("default/r3") ? null : previous);
        assertThat(after.destination("default/r3")).isNull();
        assertThat(after.match("any", "GET", "/p3", new DefaultHttpHeaders())).isNull();
        assertThat(after.destination("default/r4")).isEqualTo("default/r4");
    }

    private static String id(RouteMatch<String> m) {
        return m == null ? null : m.destination();
    }
}
