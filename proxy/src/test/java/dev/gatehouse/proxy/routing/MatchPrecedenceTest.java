package dev.gatehouse.proxy.routing;

import dev.gatehouse.config.Route;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Gateway API's order among matches of equal path: a method first, then more headers, then
 * more query parameters; and query parameter conditions themselves.
 */
class MatchPrecedenceTest {
    private static final Router<String> ROUTER = Router.compile(List.of(
            route("default/two-headers", "s").paths("/p").header("a", "1").header("b", "2").build(),
            route("default/method", "s").paths("/p").methods("GET").build(),
            route("default/one-header", "s").paths("/p").header("a", "1").build(),
            route("default/query-two", "s").paths("/q").query("x", "1", false).query("y", "2", false).build(),
            route("default/header", "s").paths("/q").header("a", "1").build(),
            route("default/query-one", "s").paths("/q").query("x", "1", false).build()), Route::id);

    private static String match(String method, String path, String query, String... headers) {
        HttpHeaders h = new DefaultHttpHeaders();
        for (int i = 0; i < headers.length; i += 2) {
            h.add(headers[i], headers[i + 1]);
        }
        RouteMatch<String> m = ROUTER.match(null, method, path, h, query);
        return m == null ? null : m.destination();
    }

    @Test
    void aMethodWinsOverAnyNumberOfHeaders() {
        assertThat(match("GET", "/p", null, "a", "1", "b", "2")).isEqualTo("default/method");
        assertThat(match("POST", "/p", null, "a", "1", "b", "2")).isEqualTo("default/two-headers");
        assertThat(match("POST", "/p", null, "a", "1")).isEqualTo("default/one-header");
    }

    @Test
    void headersWinOverQueryParametersAndMoreQueryParametersWin() {
        assertThat(match("GET", "/q", "x=1&y=2", "a", "1")).isEqualTo("default/header");
        assertThat(match("GET", "/q", "x=1&y=2")).isEqualTo("default/query-two");
        assertThat(match("GET", "/q", "y=2&x=1")).isEqualTo("default/query-two");
        assertThat(match("GET", "/q", "x=1")).isEqualTo("default/query-one");
        assertThat(match("GET", "/q", "x=2")).isNull();
        assertThat(match("GET", "/q", null)).isNull();
    }

    @Test
    void queryValuesAreDecodedAndTheFirstOccurrenceCounts() {
        assertThat(QueryCondition.first("a=1&b=two%20words", "b")).isEqualTo("two words");
        assertThat(QueryCondition.first("a=1&b=x+y", "b")).isEqualTo("x y");
        assertThat(QueryCondition.first("b=1&b=2", "b")).isEqualTo("1");
        assertThat(QueryCondition.first("flag&b=2", "flag")).isEqualTo("");
        assertThat(QueryCondition.first("%62=3", "b")).isEqualTo("3");
        assertThat(QueryCondition.first("bb=1&b=%zz", "b")).isEqualTo("%zz");
        assertThat(QueryCondition.first("B=1", "b")).isNull();
        assertThat(QueryCondition.first("&&", "b")).isNull();
        assertThat(QueryCondition.first("", "b")).isNull();
    }
}
