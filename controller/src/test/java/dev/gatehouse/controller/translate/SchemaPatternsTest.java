package dev.gatehouse.controller.translate;

import dev.gatehouse.api.v1alpha1.Schema;
import dev.gatehouse.config.ByteSizes;
import dev.gatehouse.config.Durations;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CRD schemas (crds module) and the grammars the translator parses with (config module) are
 * two copies of one rule, as the crds module depends on nothing of ours (DESIGN §2): this test proves them equal.
 * The crds module's own tests prove the committed CRD YAML carries {@link Schema}'s text.
 */
class SchemaPatternsTest {
    @Test
    void byteSizeSchemaIsTheGrammarTheTranslatorParses() {
        assertThat(Schema.BYTE_SIZE).isEqualTo(ByteSizes.PATTERN);
    }

    @Test
    void durationSchemaIsTheGrammarTheTranslatorParses() {
        assertThat(Schema.DURATION).isEqualTo(Durations.PATTERN);
    }
}
