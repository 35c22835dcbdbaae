package dev.gatehouse.proxy.auth;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.KeyDigest;
import dev.gatehouse.config.Source;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** A route's key-auth reads its namespace's keys through a handle resolved once; patched credentials serve the same handle. */
class CredentialsNamespaceTest {
    private static Consumer consumer(String namespace, String name, String key) {
        return new Consumer("uid-" + namespace + "-" + name, new Source("Consumer", namespace, name, "uid", 1), name, null,
                List.of(new Consumer.Credential("cred-" + name, KeyDigest.of(key))));
    }

    @Test
    void aHandleIsTheSameObjectForTheSameName() {
        assertThat(Credentials.namespace("handle-a")).isSameAs(Credentials.namespace("handle-a"))
                .isNotSameAs(Credentials.namespace("handle-b"));
        assertThat(Credentials.namespace("handle-a").name()).isEqualTo("handle-a");
    }

    @Test
    void theHandleFindsWhatTheNameFinds() {
        Credentials c = Credentials.of(List.of(consumer("ns-one", "alice", "k1"), consumer("ns-two", "bob", "k2")));
        Credentials.Namespace one = Credentials.namespace("ns-one");
        Credentials.Namespace two = Credentials.namespace("ns-two");
        assertThat(c.find(one, KeyDigest.of("k1")).consumer().username()).isEqualTo("alice");
        assertThat(c.find(one, KeyDigest.of("k2"))).isNull(); // another namespace's key
        assertThat(c.find(two, KeyDigest.of("k2")).consumer().username()).isEqualTo("bob");
        assertThat(c.find(Credentials.namespace("ns-without-consumers"), KeyDigest.of("k1"))).isNull();
    }

    @Test
    void aHandleResolvedBeforeAPatchReadsThePatchedKeys() {
        Credentials.Namespace late = Credentials.namespace("ns-late"); // a route compiled before its namespace had consumers
        Credentials before = Credentials.of(List.of(consumer("ns-one", "alice", "k1")));
        assertThat(before.find(late, KeyDigest.of("k3"))).isNull();
        Credentials after = before.patched(List.of(consumer("ns-late", "carol", "k3")), Set.of());
        assertThat(after.find(late, KeyDigest.of("k3")).consumer().username()).isEqualTo("carol");
        assertThat(before.find(late, KeyDigest.of("k3"))).as("the credentials replaced stay as they were").isNull();
        Credentials removed = after.patched(List.of(), Set.of("uid-ns-late-carol"));
        assertThat(removed.find(late, KeyDigest.of("k3"))).isNull();
        assertThat(removed.find(Credentials.namespace("ns-one"), KeyDigest.of("k1"))).isNotNull();
    }
}
