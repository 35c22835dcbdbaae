package dev.gatehouse.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.username) || has(self.customId)",
        message = "at least one of username or customId must be set")
public class ConsumerSpec {
    @JsonPropertyDescription("Sent upstream as X-Consumer-Username.")
    public String username;

    @JsonPropertyDescription("Sent upstream as X-Consumer-Custom-ID.")
    public String customId;

    public KeyAuth keyAuth;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class KeyAuth {
        @Default("false")
        @JsonPropertyDescription("The controller creates Secret <consumer>-key-auth with a random key, once.")
        public Boolean generate;

        @JsonPropertyDescription("Secrets labelled gatehouse.dev/credential=key-auth; the key is in data key \"key\".")
        public List<ObjectRef> secretRefs;
    }
}
