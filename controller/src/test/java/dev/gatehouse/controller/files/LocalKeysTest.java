package dev.gatehouse.controller.files;

import dev.gatehouse.api.v1alpha1.Consumer;
import dev.gatehouse.api.v1alpha1.ConsumerSpec;
import dev.gatehouse.controller.keys.ApiKeys;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Local mode's generated keys over many Consumers: the same keys, Secrets and order as a per-Consumer scan gives. */
class LocalKeysTest {
    static final int CONSUMERS = 3_000;

    private static Consumer consumer(String namespace, String name, boolean generate) {
        Consumer c = new Consumer();
        c.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
        c.setSpec(new ConsumerSpec());
        c.getSpec().username = name;
        c.getSpec().keyAuth = new ConsumerSpec.KeyAuth();
        c.getSpec().keyAuth.generate = generate;
        return c;
    }

    /** Consumers in two namespaces; every third declares its key Secret itself, every seventh does not generate. */
    private static List<HasMetadata> objects() {
        List<HasMetadata> out = new ArrayList<>();
        for (int i = 0; i < CONSUMERS; i++) {
            String ns = i % 2 == 0 ? "default" : "team-b";
            out.add(consumer(ns, "c" + i, i % 7 != 0));
            if (i % 3 == 0) {
                out.add(ApiKeys.secretFor(ns, "c" + i, "declared-" + i));
            }
        }
        return out;
    }

    /** Name → key of each Secret, in order. */
    private static Map<String, String> keys(List<Secret> secrets) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Secret s : secrets) {
            String data = s.getData() != null && s.getData().containsKey(ApiKeys.KEY_FIELD)
                    ? new String(Base64.getDecoder().decode(s.getData().get(ApiKeys.KEY_FIELD)), StandardCharsets.UTF_8)
                    : s.getStringData().get(ApiKeys.KEY_FIELD);
            out.put(s.getMetadata().getNamespace() + "/" + s.getMetadata().getName(), data);
        }
        return out;
    }

    @Test
    void manyGeneratedKeysAreTheKeptOnesInOrderAndAnUnchangedConsumerGetsItsSecretBack(@TempDir Path dir) throws Exception {
        Path store = dir.resolve(".gatehouse");
        Files.createDirectories(store);
        Map<String, String> expected = new LinkedHashMap<>(); // as the scan per Consumer found them: in Consumer order
        for (int i = 0; i < CONSUMERS; i++) {
            String ns = i % 2 == 0 ? "default" : "team-b";
            if (i % 7 != 0 && i % 3 != 0) {
                String key = "kept-key-" + i;
                Files.writeString(store.resolve(ns + "." + ApiKeys.secretName("c" + i) + ".key"), key + "\n");
                expected.put(ns + "/" + ApiKeys.secretName("c" + i), key);
            }
        }
        List<HasMetadata> objects = objects();
        LocalKeys keys = new LocalKeys(store, true);

        List<Secret> first = keys.secretsFor(objects);
        assertThat(keys(first)).containsExactlyEntriesOf(expected);
        assertThat(first).allSatisfy(s -> assertThat(s.getMetadata().getLabels())
                .containsEntry(ApiKeys.CREDENTIAL_LABEL, ApiKeys.KEY_AUTH));

        List<Secret> again = keys.secretsFor(objects);
        for (int i = 0; i < first.size(); i++) {
            assertThat(again.get(i)).as("the same Consumer object: the same Secret object").isSameAs(first.get(i));
        }

        // one Consumer read again (its file changed): an equal Secret, made anew; a new one generates and keeps its key
        List<HasMetadata> edited = new ArrayList<>(objects);
        int c1 = edited.indexOf(edited.stream().filter(o -> o.getMetadata().getName().equals("c1")).findFirst().orElseThrow());
        edited.set(c1, consumer("team-b", "c1", true));
        edited.add(consumer("default", "fresh", true));
        List<Secret> third = keys.secretsFor(edited);
        assertThat(third.get(0)).isNotSameAs(first.get(0)).isEqualTo(first.get(0));
        assertThat(third.get(1)).isSameAs(first.get(1));
        Map<String, String> thirdKeys = keys(third);
        String fresh = thirdKeys.get("default/" + ApiKeys.secretName("fresh"));
        assertThat(fresh).hasSize(43);
        assertThat(Files.readString(store.resolve("default." + ApiKeys.secretName("fresh") + ".key")).strip()).isEqualTo(fresh);
        thirdKeys.remove("default/" + ApiKeys.secretName("fresh"));
        assertThat(thirdKeys).containsExactlyEntriesOf(expected);
    }

    @Test
    void aDeclaredSecretTakesThePlaceOfTheGeneratedOne(@TempDir Path dir) {
        LocalKeys keys = new LocalKeys(dir.resolve(".gatehouse"), false);
        Consumer c = consumer("default", "alice", true);
        assertThat(keys.secretsFor(List.of(c))).hasSize(1);
        assertThat(keys.secretsFor(List.of(c, ApiKeys.secretFor("default", "alice", "mine")))).isEmpty();
        assertThat(keys.secretsFor(List.of(c, ApiKeys.secretFor("other", "alice", "mine"))))
                .as("a Secret of that name in another namespace is not the Consumer's").hasSize(1);
        assertThat(dir.resolve(".gatehouse")).as("--check keeps nothing").doesNotExist();
    }
}
