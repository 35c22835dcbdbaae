package dev.gatehouse.controller.translate;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** RFC 6125 §6.4.3 coverage of route hosts by DNS SANs: a wildcard SAN stands for exactly one label. */
class ServerNamesTest {

    @ParameterizedTest(name = "{0} with SANs {1} → served for [{2}]")
    @CsvSource(delimiter = ';', value = {
            "api.example.com; api.example.com; api.example.com",
            "a.example.com; *.example.com; a.example.com",
            "a.b.example.com; *.example.com; ''",
            "example.com; *.example.com; ''",
            "a.example.com; *.b.example.com; ''",
            "+.example.com; *.example.com; +.example.com",
            "*.example.com; *.example.com; +.example.com",
            "+.example.com; a.example.com; ''",
            "*.example.com; a.example.com; ''",
            "a.example.com b.example.org; a.example.com b.example.org; a.example.com b.example.org",
            "x.example.org; a.example.com; ''"})
    void coverage(String hosts, String sans, String served) {
        List<String> hostList = Arrays.asList(hosts.split(" "));
        ServerNames cover = ServerNames.cover(hostList, List.of(sans.split(" ")));
        List<String> expected = served.isEmpty() ? List.of() : List.of(served.split(" "));
        assertThat(cover.names()).isEqualTo(expected);
        if (expected.size() == hostList.size() && !hostList.get(0).startsWith("*.")) {
            assertThat(cover.uncovered()).isEmpty();
        } else {
            assertThat(cover.uncovered()).isNotEmpty();
        }
    }
}
