package dev.gatehouse.config;

import java.util.List;
import java.util.Objects;

/**
 * An API client. Its keys travel as SHA-256 digests only.
 *
 * @param id          sent upstream as {@code X-Consumer-ID}: the Consumer's uid
 * @param source      the Consumer it was made from
 * @param username    sent as {@code X-Consumer-Username}
 * @param customId    sent as {@code X-Consumer-Custom-ID}; null for none
 * @param credentials the key digests that authenticate as this consumer
 */
public record Consumer(String id, Source source, String username, String customId,
                       List<Credential> credentials) {
    public Consumer {
        Objects.requireNonNull(id, "id");
        credentials = List.copyOf(Objects.requireNonNullElse(credentials, List.of()));
    }

    /** The namespace whose routes this consumer may use. */
    public String namespace() {
        return source.namespace();
    }

    /**
     * @param id     sent upstream as {@code X-Credential-Identifier}: the Secret's uid
     * @param digest SHA-256 of the key
     */
    public record Credential(String id, KeyDigest digest) {
    }
}
