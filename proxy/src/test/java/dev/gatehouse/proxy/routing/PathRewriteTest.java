package dev.gatehouse.proxy.routing;

import dev.gatehouse.config.RequestPath;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

class PathRewriteTest {
    @ParameterizedTest(name = "{0} strip={1} {2} (matched {3}) -> {4}")
    @CsvSource(delimiter = '|', textBlock = """
            /     | true  | /profile      | 8 | /
            /     | true  | /profile/     | 8 | /
            /     | true  | /profile/x    | 8 | /x
            /     | true  | /profilex     | 8 | /x
            /     | true  | /             | 1 | /
            /api  | true  | /p/x          | 2 | /api/x
            /api  | true  | /p            | 2 | /api
            /api  | true  | /p/           | 2 | /api/
            /api  | true  | /px           | 2 | /api/x
            /api/ | true  | /p/x          | 2 | /api/x
            /api/ | true  | /p            | 2 | /api
            /api/ | true  | /px           | 2 | /api/x
            /api  | false | /p/x          | 2 | /api/p/x
            /api  | false | /             | 1 | /api
            /api/ | false | /p/x          | 2 | /api/p/x
            /     | false | /p/x          | 2 | /p/x
            /     | true  | /users/42/o   | 9 | /o
            """)
    void joinsLikeKong(String base, boolean strip, String path, int matched, String expected) {
        assertThat(PathRewrite.upstreamPath(base, strip, path, matched)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            /a/b          | /a/b
            /a/./b        | /a/b
            /a/../b       | /b
            //a//b//      | /a/b/
            ///profile    | /profile
            /a/./../b     | /b
            /a/%2f/b      | /a/%2F/b
            /a/%41%5a     | /a/AZ
            /a/%c3%a9     | /a/%C3%A9
            /.well-known/x | /.well-known/x
            /a/b;c=d      | /a/b;c=d
            /a/..b/c      | /a/..b/c
            /a/%2e%2e/b   | /b
            /a/%2E/b      | /a/b
            /a/%7euser    | /a/~user
            /a%2Fb        | /a%2Fb
            /a/..         | /
            /a/b/.        | /a/b/
            /             | /
            """)
    void normalizesPaths(String raw, String expected) {
        assertThat(RequestPath.normalize(raw)).isEqualTo(expected);
        assertThat(RequestPath.normalize(expected)).as("idempotent").isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} refused")
    @CsvSource(delimiter = '|', textBlock = """
            /../a         | climbs above the root
            /a/../../b    | climbs above the root
            /%2e%2e/a     | climbs above the root
            /a/%zz        | malformed percent-encoding
            /a/%2         | malformed percent-encoding
            /a/%          | malformed percent-encoding
            /a/%00b       | %00
            /a\\b        | backslash
            /a/..;/b      | dot segment with parameters
            /a/.;x/b      | dot segment with parameters
            """)
    void refusesPaths(String raw, String why) {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RequestPath.normalize(raw))
                .isInstanceOf(RequestPath.Refused.class).hasMessageContaining(why);
    }

    @ParameterizedTest(name = "{0} under {1} -> {2}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            /         | /a/../b      | /b
            /public/  | /public/x    | /public/x
            /public/  | /public      | /public
            /public/  | /public/../x | -
            /public   | /public/./x  | /public/x
            /public   | /publicx     | -
            /public   | /public/..   | -
            """)
    void confinesTheUpstreamPathUnderTheServicePath(String base, String upstream, String expected) {
        assertThat(PathRewrite.confined(base, upstream)).isEqualTo(expected);
    }
}
