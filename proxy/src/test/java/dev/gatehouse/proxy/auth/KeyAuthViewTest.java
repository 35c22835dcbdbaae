package dev.gatehouse.proxy.auth;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.KeyDigest;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Source;
import dev.gatehouse.proxy.http1.HeadFields;
import dev.gatehouse.proxy.http1.RequestHeadParser;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.util.AsciiString;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Key-auth on an HTTP/1.1 head's fields (the key read as a view over the head's bytes) answers as on any header map. */
class KeyAuthViewTest {
    private static final String ASCII_KEY = "view-key-1";
    private static final String LATIN1_KEY = "cl\u00e9-2"; // a header value read as ISO-8859-1

    private static final Credentials CREDENTIALS = Credentials.of(List.of(
            consumer("ascii", ASCII_KEY), consumer("latin", LATIN1_KEY)));
    private static final KeyAuth AUTH = new KeyAuth(new Route.KeyAuth(List.of(), true, true, false, null), "ns-view",
            CREDENTIALS.namespaces());

    private static Consumer consumer(String name, String key) {
        return new Consumer("uid-" + name, new Source("Consumer", "ns-view", name, "uid", 1), name, null,
                List.of(new Consumer.Credential("cred-" + name, KeyDigest.of(key))));
    }

    private static HeadFields head(String fields) {
        byte[] bytes = ("GET / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        return RequestHeadParser.parse(bytes, 4).headers();
    }

    @Test
    void aViewIsDigestedAsItsStringIs() {
        for (String key : List.of(ASCII_KEY, LATIN1_KEY, "", "k")) {
            byte[] bytes = ("x" + key + "y").getBytes(StandardCharsets.ISO_8859_1);
            AsciiString view = new AsciiString(bytes, 1, bytes.length - 2, false);
            assertThat(KeyAuth.digest(view)).as(key).isEqualTo(KeyDigest.of(key));
        }
    }

    @Test
    void theSameOutcomesAsOnAHeaderMap() {
        for (String fields : List.of("apikey: " + ASCII_KEY + "\r\n", "apikey: " + LATIN1_KEY + "\r\n", "apikey: wrong\r\n",
                "", "apikey:\r\n", "apikey: " + ASCII_KEY + "\r\nAPIKEY: " + ASCII_KEY + "\r\n", "X-Other: 1\r\nApiKey:  " + ASCII_KEY + " \r\n")) {
            HeadFields h = head(fields);
            DefaultHttpHeaders map = new DefaultHttpHeaders();
            h.forEach(e -> map.add(e.getKey(), e.getValue()));
            KeyAuth.Outcome onView = AUTH.authenticate(h, new QueryParameters(null), CREDENTIALS);
            KeyAuth.Outcome onMap = AUTH.authenticate(map, new QueryParameters(null), CREDENTIALS);
            assertThat(onView).as(fields).isEqualTo(onMap);
        }
        assertThat(AUTH.authenticate(head("apikey: " + LATIN1_KEY + "\r\n"), new QueryParameters(null), CREDENTIALS)
                .consumer().username()).isEqualTo("latin");
    }
}
