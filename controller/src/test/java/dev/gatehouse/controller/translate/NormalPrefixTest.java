package dev.gatehouse.controller.translate;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** A route prefix must be in the normal form the proxy gives request paths, or it never matches. */
class NormalPrefixTest {
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            /               | -
            /api            | -
            /api/           | -
            /~user/a-b_c.d  | -
            /a..b/.c/..d    | -
            /a%2Fb          | -
            /a//b           | "/a/b"
            //a             | "/a"
            /a/./b          | "/a/b"
            /a/../b         | "/b"
            /a/%2e%2e/b     | "/b"
            /%7euser        | "/~user"
            /a%2fb          | "/a%2Fb"
            /..             | climbs above the root
            /a%zz           | malformed percent-encoding
            /a\\\\b          | backslash
            """)
    void prefixesAreRefusedUnlessNormal(String prefix, String problem) {
        if (problem == null) {
            assertThat(RouteStep.notNormal(prefix)).isNull();
        } else {
            assertThat(RouteStep.notNormal(prefix)).contains(problem).contains(prefix.replace("\\", "\\"));
        }
    }
}
