package dev.gatehouse.proxy;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.KeyDigest;
import dev.gatehouse.config.Problem;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.channel.ChannelCodec;
import dev.gatehouse.config.channel.Nack;
import dev.gatehouse.config.channel.ObjectError;
import dev.gatehouse.proxy.auth.Credentials;
import dev.gatehouse.proxy.auth.KeyAuth;
import dev.gatehouse.proxy.auth.QueryParameters;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Where a key or its digest could slip into text by way of an object's {@code toString} or a
 * message: the snapshot records, key-auth's outcome, and the problems and NACK of a snapshot the
 * proxy refuses because two consumers share a key.
 */
class SecretsInMessagesTest {
    private static final String KEY = "k3y-SHARED-8d41c7";
    private static final String DIGEST = KeyDigest.of(KEY).toHex();

    private static Snapshot sharedKey() {
        return Fixtures.snapshot(7, List.of(service("default/s", "default/u")),
                List.of(route("default/r", "default/s").paths("/r").keyAuth(new Route.KeyAuth(List.of(), true, true, true, null)).build()),
                List.of(upstream("default/u", 9)),
                List.of(Fixtures.consumer("uid-ann", "ann", KEY), Fixtures.consumer("uid-bob", "bob", KEY)));
    }

    @Test
    void snapshotRecordsPrintRedactedDigests() {
        Snapshot s = sharedKey();
        Consumer ann = s.consumers().get(0);
        for (String text : List.of(s.toString(), ann.toString(), ann.credentials().get(0).toString())) {
            assertThat(text).contains("[redacted]").doesNotContain(DIGEST).doesNotContain(KEY);
        }
        assertThat(ann.toString()).contains("ann", "cred-ann");
    }

    @Test
    void aRefusedSnapshotNamesTheConsumersNeverTheKeyNorItsDigest() {
        ProxyServer proxy = ProxyServer.start(Fixtures.config(), new SimpleMeterRegistry());
        try {
            List<Problem> problems = proxy.apply(sharedKey());
            assertThat(problems).isNotEmpty();
            String text = problems.toString();
            assertThat(text).contains("uid-ann").doesNotContain(DIGEST).doesNotContain(KEY);
            Nack nack = Nack.of(7, "h", problems.stream().map(ObjectError::of).toList());
            String frame = new String(ChannelCodec.encode(nack), StandardCharsets.UTF_8);
            assertThat(frame).contains("\"nack\"").contains("credentials").doesNotContain(DIGEST).doesNotContain(KEY);
        } finally {
            proxy.close();
        }
    }

    @Test
    void keyAuthOutcomesAndMalformedQueriesCarryNoKey() {
        Consumer ann = Fixtures.consumer("uid-ann", "ann", KEY);
        KeyAuth auth = new KeyAuth(new Route.KeyAuth(List.of(), true, true, true, null), "default", Credentials.of(List.of(ann)));
        KeyAuth.Outcome ok = auth.authenticate(new DefaultHttpHeaders(), new QueryParameters("apikey=" + KEY));
        assertThat(ok.accepted()).isTrue();
        KeyAuth.Outcome wrong = auth.authenticate(new DefaultHttpHeaders().add("apikey", "wrong-" + KEY), new QueryParameters(null));
        assertThat(wrong.accepted()).isFalse();
        // a malformed escape next to the key: decoded leniently, never an exception that quotes the query
        KeyAuth.Outcome malformed = auth.authenticate(new DefaultHttpHeaders(), new QueryParameters("x=%zz&apikey=" + KEY + "%"));
        assertThat(malformed.accepted()).isFalse();
        for (KeyAuth.Outcome o : List.of(ok, wrong, malformed)) {
            assertThat(o.toString()).doesNotContain(KEY).doesNotContain(DIGEST);
        }
    }
}
