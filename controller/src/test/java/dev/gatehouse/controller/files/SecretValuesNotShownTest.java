package dev.gatehouse.controller.files;

import dev.gatehouse.controller.translate.ClusterState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;

/** A Secret's value (an API key) never appears in a file error nor in the toString of what holds Secrets. */
class SecretValuesNotShownTest {
    private static final String KEY = "k3y-SECRET-5f0c2a9e";
    private static final String HEAD = "apiVersion: v1\nkind: Secret\nmetadata: {name: s, labels: {gatehouse.dev/credential: key-auth}}\n";

    /** Each puts the key where Jackson's own message would quote it. */
    @ParameterizedTest
    @ValueSource(strings = {
            "stringData: " + KEY + "\n",                      // the map forgotten: "from String value ('...')"
            "data: " + KEY + "\n",
            "stringData: {key: x}\nimmutable: " + KEY + "\n",  // "\"...\" (expected: a boolean)"
            "stringData: {key: [" + KEY + "]}\n",
    })
    void aSecretThatCannotBeReadIsReportedWithoutItsValues(String body) {
        ManifestReader.Result r = ManifestReader.read("keys.yaml", HEAD + body);
        assertThat(r.errors()).hasSize(1);
        String error = r.errors().get(0).toString();
        assertThat(error).startsWith("keys.yaml: Secret/default/s: ").doesNotContain(KEY).doesNotContain("5f0c2a9e");
    }

    @Test
    void theMessageStillNamesTheFieldAndWhatWasExpected() {
        ManifestReader.FileError e = ManifestReader.read("keys.yaml", HEAD + "stringData: " + KEY + "\n").errors().get(0);
        assertThat(e.field()).isEqualTo("stringData");
        assertThat(e.message()).contains("expected: a map").contains("not shown").doesNotContain(KEY);
        ManifestReader.FileError flag = ManifestReader.read("keys.yaml", HEAD + "immutable: " + KEY + "\n").errors().get(0);
        assertThat(flag.field()).isEqualTo("immutable");
        assertThat(flag.message()).contains("expected: a boolean").doesNotContain(KEY);
    }

    @Test
    void otherKindsStillQuoteTheValueTheyRefuse() {
        String upstream = "apiVersion: gatehouse.dev/v1alpha1\nkind: Upstream\nmetadata: {name: u}\nspec: {algorithm: Sideways}\n";
        assertThat(ManifestReader.read("u.yaml", upstream).errors().get(0).message()).contains("\"Sideways\"");
    }

    @Test
    void whatHoldsSecretsNamesThemAndPrintsNoData(@TempDir Path dir) throws Exception {
        String base64 = Base64.getEncoder().encodeToString(KEY.getBytes(StandardCharsets.UTF_8));
        Files.writeString(dir.resolve("keys.yaml"), HEAD + "stringData: {key: " + KEY + "}\n---\n"
                + HEAD.replace("name: s,", "name: t,") + "data: {key: " + base64 + "}\n");
        LocalDirectory d = LocalDirectory.read(dir);
        ManifestReader.Result r = ManifestReader.read("keys.yaml", Files.readString(dir.resolve("keys.yaml")));
        ClusterState state = ManifestReader.state(d.objects());
        assertThat(state.secrets()).hasSize(2);
        // the objects themselves do print their data (Fabric8's toString): what holds them must not
        assertThat(state.secrets().toString()).contains(base64);
        for (String text : new String[] {d.toString(), r.toString(), state.toString()}) {
            assertThat(text).doesNotContain(KEY).doesNotContain(base64);
        }
        assertThat(d.toString()).contains("Secret/default/s", "Secret/default/t");
        assertThat(r.toString()).contains("Secret/default/s", "Secret/default/t");
        assertThat(state.toString()).contains("secrets=2");
    }
}
