package dev.gatehouse.controller.translate;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Listener hostname ∩ HTTPRoute hostnames, as the Gateway API spec's examples give them. */
class GatewayHostnamesTest {
    @ParameterizedTest(name = "listener {0} ∩ route {1} = {2}")
    @CsvSource(delimiter = '|', nullValues = "null", value = {
            // listener         | route hostnames                      | served for ("*" = any host, "none" = no match)
            "null               | ''                                   | *",
            "null               | a.example.com,*.example.org          | a.example.com,*.example.org",
            "foo.example.com    | ''                                   | foo.example.com",
            "foo.example.com    | foo.example.com,bar.example.com      | foo.example.com",
            "foo.example.com    | *.example.com                        | foo.example.com",
            "foo.example.com    | *.com                                | foo.example.com",
            "foo.example.com    | example.com                          | none",
            "*.example.com      | a.example.com,a.b.example.com        | a.example.com,a.b.example.com",
            "*.example.com      | example.com,a.example.org            | none",
            "*.example.com      | *.example.com                        | *.example.com",
            "*.example.com      | *.a.example.com                      | *.a.example.com",
            "*.a.example.com    | *.example.com                        | *.a.example.com",
            "*.example.com      | *.example.org                        | none",
            "Foo.Example.com    | FOO.example.COM                      | foo.example.com",
    })
    void intersect(String listener, String route, String expected) {
        List<String> routes = route.isEmpty() ? List.of() : Arrays.asList(route.split(","));
        List<String> got = GatewayHostnames.intersect(listener, routes);
        String text = got == null ? "none" : got.isEmpty() ? "*" : String.join(",", got);
        assertThat(text).isEqualTo(expected);
    }
}
