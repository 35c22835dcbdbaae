package dev.gatehouse.proxy.observe;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

class QueryRedactionTest {
    private static QueryRedaction redaction() {
        QueryRedaction r = new QueryRedaction();
        r.add(List.of("apikey", "X-API-Key"));
        return r;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
            "/a/b                                   | /a/b",
            "/a/b?                                  | /a/b?",
            "/a?x=1&y=2                             | /a?x=1&y=2",
            "/a?apikey=k3y-1                        | /a?apikey=REDACTED",
            "/a?x=1&apikey=k3y-1&y=2                | /a?x=1&apikey=REDACTED&y=2",
            "/a?apikey=k3y-1&apikey=k3y-2           | /a?apikey=REDACTED&apikey=REDACTED",
            "/a?APIKEY=k3y-1                        | /a?APIKEY=REDACTED",
            "/a?api%6Bey=k3y-1                      | /a?api%6Bey=REDACTED",
            "/a?x-api-key=k3y-1                     | /a?x-api-key=REDACTED",
            "/a?x=1;apikey=k3y-1                    | /a?x=1;apikey=REDACTED",
            "/a?apikey=k3y=with=equals              | /a?apikey=REDACTED",
            "/a?apikey                              | /a?apikey",
            "/a?apikey=                             | /a?apikey=",
            "/a?apikey=k3y-1&                       | /a?apikey=REDACTED&",
            "/a?apikeyx=1&xapikey=2                 | /a?apikeyx=1&xapikey=2",
            "/a?api%zzkey=k3y-1                     | /a?api%zzkey=k3y-1",
            "/a?apikey=k3y-1#frag                   | /a?apikey=REDACTED",
            "/a#frag?apikey=k3y-1                   | /a",
            "http://h:1/a?apikey=k3y-1              | http://h:1/a?apikey=REDACTED",
            "http://user:pw@h/a?x=1                 | http://REDACTED@h/a?x=1",
            "http://user:pw@h?apikey=k3y-1          | http://REDACTED@h?apikey=REDACTED",
            "/a/b@c?x=1                             | /a/b@c?x=1",
            "/a?ap\u0130key=k3y-1                   | /a?ap\u0130key=k3y-1",
            "/a?Api+Key=k3y-1&APIKEY=k3y-2          | /a?Api+Key=k3y-1&APIKEY=REDACTED",
    })
    void redactsTheValuesOfKeyParameters(String target, String logged) {
        assertThat(redaction().apply(target)).isEqualTo(logged);
    }

    /** A target with nothing to redact is the very string received: no copy, nothing allocated. */
    @Test
    void aTargetWithNothingToRedactIsReturnedAsIs() {
        QueryRedaction r = redaction();
        for (String target : List.of("/a/b", "/a?x=1&y=2", "/a?apikey", "/a?apikey=", "/a?apikeyx=1&x=apikey", "/a?x=1;y=api%6Bey",
                "/a?ap\u0130key=k3y-1")) {
            assertThat(r.apply(target)).as(target).isSameAs(target);
        }
        assertThat(r.apply("/a?x=1&Apikey=k")).isEqualTo("/a?x=1&Apikey=REDACTED");
        assertThat(new QueryRedaction().apply("/a?apikey=k")).isSameAs("/a?apikey=k");
    }

    @Test
    void nullStaysNull() {
        assertThat(redaction().apply(null)).isNull();
    }

    @Test
    void withoutNamesOnlyTheFragmentAndUserinfoGo() {
        QueryRedaction none = new QueryRedaction();
        assertThat(none.apply("/a?apikey=k3y-1#f")).isEqualTo("/a?apikey=k3y-1");
        assertThat(none.apply("http://u:p@h/a")).isEqualTo("http://REDACTED@h/a");
    }

    @Test
    void namesOnlyWiden() {
        QueryRedaction r = new QueryRedaction();
        r.add(List.of("apikey"));
        r.add(List.of("Token"));
        r.add(List.of("apikey"));
        assertThat(r.names()).isEqualTo(Set.of("apikey", "token"));
        assertThat(r.apply("/a?token=t&apikey=k")).isEqualTo("/a?token=REDACTED&apikey=REDACTED");
    }

    /**
     * Names added while requests are logged: a line judges all its pairs by the same names (both
     * pairs of one name redacted, or neither), and a name is redacted in every line formatted after
     * its {@code add} returned.
     */
    @Test
    void namesAddedWhileRequestsRunAreAppliedWholePerLine() throws Exception {
        QueryRedaction r = new QueryRedaction();
        int count = 2_000;
        AtomicInteger added = new AtomicInteger(-1);
        AtomicReference<String> failure = new AtomicReference<>();
        Thread reader = new Thread(() -> {
            while (added.get() < count - 1 && failure.get() == null) {
                int known = added.get();
                int i = ThreadLocalRandom.current().nextInt(count);
                String target = "/a?k" + i + "=v&x=1&K" + i + "=v";
                String logged = r.apply(target);
                String whole = "/a?k" + i + "=REDACTED&x=1&K" + i + "=REDACTED";
                boolean ok = i <= known ? logged.equals(whole) : logged.equals(target) || logged.equals(whole);
                if (!ok) {
                    failure.set(target + " -> " + logged + " (names added up to k" + known + ")");
                }
            }
        });
        reader.start();
        for (int i = 0; i < count; i++) {
            r.add(List.of("k" + i));
            added.set(i);
        }
        reader.join(10_000);
        assertThat(reader.isAlive()).isFalse();
        assertThat(failure.get()).isNull();
        assertThat(r.names()).hasSize(count);
    }
}
