package dev.gatehouse.controller.translate;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** The normal form a route prefix must have to ever match a normalized request path. */
class NormalPathTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            /               | /
            /api            | /api
            /api/           | /api/
            /api/v1/users   | /api/v1/users
            /a//b           | /a/b
            //a             | /a
            /a//            | /a/
            ///             | /
            /a/./b          | /a/b
            /a/.            | /a/
            /a/../b         | /b
            /a/..           | /
            /..             | /
            /../a           | /a
            /a/%2e%2e/b     | /b
            /a/%2E/b        | /a/b
            /%7euser        | /~user
            /%41pi          | /Api
            /a%2Fb          | /a%2Fb
            /a%5cb          | /a%5cb
            /a%zz           | /a%zz
            /a%2            | /a%2
            /a..b/.c/..d    | /a..b/.c/..d
            /~user/a-b_c.d  | /~user/a-b_c.d
            """)
    void normalizesLikeTheProxy(String path, String normal) {
        assertThat(NormalPath.of(path)).isEqualTo(normal);
        assertThat(NormalPath.of(normal)).as("idempotent").isEqualTo(normal);
    }
}
