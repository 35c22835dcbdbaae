package dev.gatehouse.proxy.routing;

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
            /../../a      | /a
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
    }
}
