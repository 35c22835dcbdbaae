package dev.gatehouse.proxy.routing;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.RouteFilters;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static dev.gatehouse.proxy.Fixtures.route;
import static org.assertj.core.api.Assertions.assertThat;

/** A redirect's {@code Location}, part by part, and the Gateway API's ReplacePrefixMatch table. */
class CompiledFiltersTest {

    private static String location(String scheme, String host, Integer port, String fullPath, String prefix, boolean tls,
                                   String clientHost, String path, int matched, String query) {
        Route r = route("default/r", null).paths("/foo").filters(new RouteFilters(null, null,
                new RouteFilters.Redirect(scheme, host, port, fullPath, prefix, 302), null)).build();
        return CompiledFilters.of(r).location(tls, clientHost, new RouteMatch<>(r, "x", path, matched), query);
    }

    @ParameterizedTest(name = "{0} {1} {2} tls={5} Host {6} {7} -> {10}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            # scheme | host        | port | fullPath | prefix | tls   | client host    | path      | matched | query | location
            -        | -           | -    | -        | -      | false | gw.test:8000   | /foo/bar  | 4       | -     | http://gw.test/foo/bar
            -        | -           | -    | -        | -      | true  | gw.test:8443   | /foo      | 4       | a=1   | https://gw.test/foo?a=1
            https    | -           | 443  | -        | -      | false | gw.test        | /foo      | 4       | -     | https://gw.test/foo
            http     | -           | 443  | -        | -      | false | gw.test        | /foo      | 4       | -     | http://gw.test:443/foo
            -        | -           | 80   | -        | -      | true  | gw.test        | /foo      | 4       | -     | https://gw.test:80/foo
            -        | example.org | 8083 | -        | -      | false | gw.test        | /foo      | 4       | -     | http://example.org:8083/foo
            -        | -           | -    | -        | -      | false | [::1]:8000     | /foo      | 4       | -     | http://[::1]/foo
            -        | example.org | -    | -        | -      | false | -              | /foo      | 4       | -     | http://example.org/foo
            -        | -           | -    | /full    | -      | false | gw.test        | /foo/bar  | 4       | b=2   | http://gw.test/full?b=2
            # the spec's ReplacePrefixMatch table (HTTPPathModifier); a prefix match on /foo/ is on /foo
            -        | -           | -    | -        | /xyz   | false | gw.test        | /foo/bar  | 4       | -     | http://gw.test/xyz/bar
            -        | -           | -    | -        | /xyz/  | false | gw.test        | /foo/bar  | 4       | -     | http://gw.test/xyz/bar
            -        | -           | -    | -        | /xyz   | false | gw.test        | /foo      | 4       | -     | http://gw.test/xyz
            -        | -           | -    | -        | /xyz   | false | gw.test        | /foo/     | 4       | -     | http://gw.test/xyz/
            -        | -           | -    | -        | /      | false | gw.test        | /foo/bar  | 4       | -     | http://gw.test/bar
            -        | -           | -    | -        | /      | false | gw.test        | /foo/     | 4       | -     | http://gw.test/
            -        | -           | -    | -        | /      | false | gw.test        | /foo      | 4       | -     | http://gw.test/
            """)
    void locationIsBuiltAsTheSpecSays(String scheme, String host, Integer port, String fullPath, String prefix, boolean tls,
                                      String clientHost, String path, int matched, String query, String expected) {
        assertThat(location(scheme, host, port, fullPath, prefix, tls, clientHost, path, matched, query)).isEqualTo(expected);
    }

    /**
     * The Gateway API: with neither scheme nor port, the port is the listener's the request came through
     * (the proxy Service's HTTP or TLS port), left out when it is the scheme's well-known one.
     */
    @ParameterizedTest(name = "scheme {0} port {1} listeners {2}/{3} tls={4} -> {5}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            # scheme | port | listener | tls listener | tls   | location
            -        | -    | 8080     | 8443         | false | http://gw.test:8080/foo
            -        | -    | 8080     | 8443         | true  | https://gw.test:8443/foo
            -        | -    | 8080     | -            | true  | https://gw.test/foo
            -        | -    | -        | 8443         | false | http://gw.test/foo
            https    | -    | 8080     | 8443         | false | https://gw.test/foo
            http     | -    | 8080     | 8443         | true  | http://gw.test/foo
            -        | 9000 | 8080     | 8443         | false | http://gw.test:9000/foo
            """)
    void withoutSchemeAndPortTheListenersPortIsKept(String scheme, Integer port, Integer listener, Integer tlsListener,
                                                    boolean tls, String expected) {
        Route r = route("default/r", null).paths("/foo").filters(new RouteFilters(null, null,
                new RouteFilters.Redirect(scheme, null, port, null, null, 302, listener, tlsListener), null)).build();
        assertThat(CompiledFilters.of(r).location(tls, "gw.test:8000", new RouteMatch<>(r, "x", "/foo", 4), null))
                .isEqualTo(expected);
    }

    @ParameterizedTest(name = "Host {0}")
    @CsvSource(nullValues = "-", value = {"-", "''"})
    void aRedirectKeepingTheHostNeedsOne(String clientHost) {
        assertThat(location(null, null, null, null, null, false, clientHost, "/foo", 4, null)).isNull();
    }
}
