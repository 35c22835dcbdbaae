package dev.gatehouse.controller.translate;

import dev.gatehouse.api.v1alpha1.GatewayServiceSpec;
import dev.gatehouse.api.v1alpha1.Schema;
import dev.gatehouse.config.ByteSizes;
import dev.gatehouse.config.Durations;
import dev.gatehouse.config.Service;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
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

    @Test
    void retryBudgetSchemaHasTheSnapshotsRangesAndDefaults() throws NoSuchFieldException {
        var percent = GatewayServiceSpec.RetryBudget.class.getField("percent");
        var min = GatewayServiceSpec.RetryBudget.class.getField("minConcurrency");
        assertThat(percent.getAnnotation(Min.class).value()).isZero();
        assertThat(percent.getAnnotation(Max.class).value()).isEqualTo(Service.RetryBudget.MAX_PERCENT);
        assertThat(percent.getAnnotation(Default.class).value()).isEqualTo(String.valueOf(Service.RetryBudget.DEFAULT_PERCENT));
        assertThat(min.getAnnotation(Min.class).value()).isZero();
        assertThat(min.getAnnotation(Default.class).value()).isEqualTo(String.valueOf(Service.RetryBudget.DEFAULT_MIN_CONCURRENCY));
    }
}
