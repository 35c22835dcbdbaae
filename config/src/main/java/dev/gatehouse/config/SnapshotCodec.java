package dev.gatehouse.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * JSON for snapshots and channel messages. Output is canonical: record components in
 * declaration order, map entries sorted by key, nulls left out; so equal snapshots give equal
 * bytes and the {@link #contentHash(Snapshot) content hash} is stable across runs and JVMs.
 * Unknown properties are ignored, so an older proxy reads a newer controller's snapshot.
 */
public final class SnapshotCodec {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .disable(MapperFeature.AUTO_DETECT_IS_GETTERS)
            .serializationInclusion(JsonInclude.Include.NON_NULL)
            .build();

    private SnapshotCodec() {
    }

    /** The mapper used for every channel message; shared, thread-safe. */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static byte[] toJson(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + value.getClass().getSimpleName(), e);
        }
    }

    public static String toPrettyJson(Object value) {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + value.getClass().getSimpleName(), e);
        }
    }

    public static Snapshot snapshotFromJson(byte[] json) {
        return fromJson(json, Snapshot.class);
    }

    public static <T> T fromJson(byte[] json, Class<T> type) {
        try {
            return MAPPER.readValue(json, type);
        } catch (IOException e) {
            throw new UncheckedIOException("not a valid " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The snapshot's {@link ContentHash content hash}: per kind, the sum of each object's
     * contribution (its digest and its predecessor's id), under one SHA-256; the version is not in it, so equal content gives an equal
     * hash whatever the version. Reuses the digests of the last snapshot hashed this way for
     * objects that are the same instances.
     */
    public static String contentHash(Snapshot snapshot) {
        return ContentHash.hash(snapshot);
    }

    /** The hash of peers from before {@link ContentHash}: SHA-256 of the whole canonical JSON without the version. */
    public static String legacyContentHash(Snapshot snapshot) {
        return ContentHash.legacy(snapshot);
    }
}
