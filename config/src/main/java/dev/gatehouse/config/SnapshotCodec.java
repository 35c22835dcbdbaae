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
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

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
     * SHA-256 (hex) of the snapshot's canonical JSON without its version: two snapshots with the
     * same content have the same hash, whatever their version.
     */
    /** One snapshot object and its hash; snapshots are immutable, so the object is the key. */
    private record Hashed(Snapshot snapshot, String hash) {
    }

    /**
     * The last snapshot hashed: hashing serialises the whole snapshot (an 11 MB document at 10 000
     * routes), and the same object is hashed more than once on its way (received, then compiled).
     */
    private static volatile Hashed lastHashed;

    public static String contentHash(Snapshot snapshot) {
        Hashed known = lastHashed;
        if (known != null && known.snapshot() == snapshot) {
            return known.hash(); // the same snapshot object again: a proxy hashes on receipt and again when it compiles
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(toJson(snapshot.withVersion(0)));
            String hash = HexFormat.of().formatHex(digest);
            lastHashed = new Hashed(snapshot, hash);
            return hash;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
