package dev.gatehouse.api.v1alpha1;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CRD YAML committed in {@code crds/} must be exactly what the build generates from the Java
 * types. After changing a type, regenerate with
 * {@code ./mvnw -B -pl crds verify -Dgatehouse.regenerate=true} and commit the YAML.
 */
class CrdDriftTest {
    static final Path GENERATED = Path.of("target/classes/META-INF/fabric8");
    static final Path COMMITTED = Path.of(".");

    static List<Path> generated() throws IOException {
        try (Stream<Path> files = Files.list(GENERATED)) {
            return files.filter(p -> p.toString().endsWith("-v1.yml")).sorted().toList();
        }
    }

    @Test
    void committedCrdsEqualGeneratedOnes() throws IOException {
        List<Path> generated = generated();
        assertThat(generated).extracting(p -> p.getFileName().toString()).containsExactly(
                "consumers.gatehouse.dev-v1.yml", "gatewayroutes.gatehouse.dev-v1.yml",
                "gatewayservices.gatehouse.dev-v1.yml", "keyauthfilters.gatehouse.dev-v1.yml",
                "upstreams.gatehouse.dev-v1.yml");
        boolean regenerate = Boolean.getBoolean("gatehouse.regenerate");
        for (Path g : generated) {
            Path committed = COMMITTED.resolve(g.getFileName());
            if (regenerate) {
                Files.copy(g, committed, StandardCopyOption.REPLACE_EXISTING);
            }
            assertThat(committed).as("crds/%s is missing or differs from the generated CRD; "
                            + "run ./mvnw -B -pl crds verify -Dgatehouse.regenerate=true and commit it", g.getFileName())
                    .exists();
            assertThat(Files.readString(committed)).as("crds/%s differs from the generated CRD; "
                            + "run ./mvnw -B -pl crds verify -Dgatehouse.regenerate=true and commit it", g.getFileName())
                    .isEqualTo(Files.readString(g));
        }
        try (Stream<Path> files = Files.list(COMMITTED)) {
            assertThat(files.filter(p -> p.toString().endsWith("-v1.yml")).count())
                    .as("crds/ holds a CRD the build no longer generates").isEqualTo(generated.size());
        }
    }
}
