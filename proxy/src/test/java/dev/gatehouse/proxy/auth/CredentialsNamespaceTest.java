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
        Namespaces namespaces = new Namespaces();
        assertThat(namespaces.handle("handle-a")).isSameAs(namespaces.handle("handle-a"))
                .isNotSameAs(namespaces.handle("handle-b"));
        assertThat(namespaces.handle("handle-a").name()).isEqualTo("handle-a");
    }

    @Test
    void theHandleFindsWhatTheNameFinds() {
        Credentials c = Credentials.of(List.of(consumer("ns-one", "alice", "k1"), consumer("ns-two", "bob", "k2")));
        Credentials.Namespace one = c.namespaces().handle("ns-one");
        Credentials.Namespace two = c.namespaces().handle("ns-two");
        assertThat(c.find(one, KeyDigest.of("k1")).consumer().username()).isEqualTo("alice");
        assertThat(c.find(one, KeyDigest.of("k2"))).isNull(); // another namespace's key
        assertThat(c.find(two, KeyDigest.of("k2")).consumer().username()).isEqualTo("bob");
        assertThat(c.find(c.namespaces().handle("ns-without-consumers"), KeyDigest.of("k1"))).isNull();
    }

    @Test
    void aHandleResolvedBeforeAPatchReadsThePatchedKeys() {
        Namespaces namespaces = new Namespaces();
        Credentials.Namespace late = namespaces.handle("ns-late"); // a route compiled before its namespace had consumers
        Credentials before = Credentials.of(List.of(consumer("ns-one", "alice", "k1")), namespaces);
        assertThat(before.find(late, KeyDigest.of("k3"))).isNull();
        Credentials after = before.patched(List.of(consumer("ns-late", "carol", "k3")), Set.of());
        assertThat(after.namespaces()).as("a patch keeps the registry").isSameAs(namespaces);
        assertThat(after.find(late, KeyDigest.of("k3")).consumer().username()).isEqualTo("carol");
        assertThat(before.find(late, KeyDigest.of("k3"))).as("the credentials replaced stay as they were").isNull();
        Credentials removed = after.patched(List.of(), Set.of("uid-ns-late-carol"));
        assertThat(removed.find(late, KeyDigest.of("k3"))).isNull();
        assertThat(removed.find(namespaces.handle("ns-one"), KeyDigest.of("k1"))).isNotNull();
    }

    /**
     * Two registries (two proxies in one JVM) share nothing: each numbers its own namespaces, so the
     * same slot names different namespaces in each, and a handle of the other registry is read by its
     * name, never at its slot (which would be another namespace's keys).
     */
    @Test
    void twoRegistriesShareNoHandleAndAForeignHandleIsReadByName() {
        Namespaces first = new Namespaces();
        Namespaces second = new Namespaces();
        Credentials.Namespace aInFirst = first.handle("ns-a");
        Credentials.Namespace bInSecond = second.handle("ns-b"); // the second's first slot, as ns-a's is the first's
        Credentials.Namespace aInSecond = second.handle("ns-a");
        assertThat(aInFirst).isNotSameAs(aInSecond);
        assertThat(first.size()).isEqualTo(1);
        assertThat(second.size()).isEqualTo(2);

        Credentials ofSecond = Credentials.of(List.of(consumer("ns-a", "alice", "ka"), consumer("ns-b", "bob", "kb")), second);
        assertThat(ofSecond.find(aInSecond, KeyDigest.of("ka")).consumer().username()).isEqualTo("alice");
        assertThat(ofSecond.find(bInSecond, KeyDigest.of("kb")).consumer().username()).isEqualTo("bob");
        // ns-a's handle of the first registry sits at the slot of ns-b in the second: read by its name instead
        assertThat(ofSecond.find(aInFirst, KeyDigest.of("kb"))).as("another namespace's key at the same slot").isNull();
        assertThat(ofSecond.find(aInFirst, KeyDigest.of("ka")).consumer().username()).isEqualTo("alice");
        assertThat(first.size()).as("nothing the second did reached the first").isEqualTo(1);
    }
}
