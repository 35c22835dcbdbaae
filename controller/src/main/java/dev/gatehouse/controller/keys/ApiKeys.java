package dev.gatehouse.controller.keys;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;

/** Generated API keys and the Secrets that hold them, the same in a cluster and in local mode. */
public final class ApiKeys {
    /** Label that marks a Secret as a key-auth credential; the controller watches only these. */
    public static final String CREDENTIAL_LABEL = "gatehouse.dev/credential";
    public static final String KEY_AUTH = "key-auth";
    /** The Secret data key that holds the API key. */
    public static final String KEY_FIELD = "key";
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeys() {
    }

    /** 32 random bytes, URL-safe base64 without padding (43 characters). */
    public static String generate() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Name of the Secret made for a Consumer with {@code keyAuth.generate: true}. */
    public static String secretName(String consumerName) {
        return consumerName + "-key-auth";
    }

    /** A labelled credential Secret holding {@code key} (in {@code data}, base64). */
    public static SecretBuilder secret(String namespace, String name, String key) {
        return new SecretBuilder()
                .withNewMetadata().withNamespace(namespace).withName(name)
                .withLabels(Map.of(CREDENTIAL_LABEL, KEY_AUTH)).endMetadata()
                .withType("Opaque")
                .withData(Map.of(KEY_FIELD, Base64.getEncoder().encodeToString(key.getBytes(StandardCharsets.UTF_8))));
    }

    public static Secret secretFor(String namespace, String consumerName, String key) {
        return secret(namespace, secretName(consumerName), key).build();
    }
}
