package dev.gatehouse.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The SHA-256 digest of an API key. Keys never leave the controller in clear; a digest is
 * compared in constant time and prints as {@code [redacted]} so it cannot reach a log.
 */
public final class KeyDigest {
    private static final HexFormat HEX = HexFormat.of();
    /**
     * One SHA-256 per thread: {@code MessageDigest.getInstance} looks the provider up and
     * allocates an engine, about a microsecond per key-auth request on the proxy's event loops;
     * {@code digest()} resets the engine, so each thread reuses its own.
     */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(KeyDigest::newSha256);
    private final byte[] bytes;

    private KeyDigest(byte[] bytes) {
        if (bytes.length != 32) {
            throw new IllegalArgumentException("digest: " + bytes.length + " bytes (expected: 32, SHA-256)");
        }
        this.bytes = bytes;
    }

    /** The digest of a key as given by a client or stored in a Secret. */
    public static KeyDigest of(String key) {
        Objects.requireNonNull(key, "key");
        return new KeyDigest(sha256(key.getBytes(StandardCharsets.UTF_8)));
    }

    /** The digest of a key held as raw bytes (e.g. {@code data.key} of a Secret, decoded). */
    public static KeyDigest of(byte[] key) {
        return new KeyDigest(sha256(key));
    }

    @JsonCreator
    public static KeyDigest fromHex(String hex) {
        try {
            return new KeyDigest(HEX.parseHex(hex));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("digest: not 64 hex digits (expected: SHA-256 in hex)");
        }
    }

    @JsonValue
    public String toHex() {
        return HEX.formatHex(bytes);
    }

    /** Constant-time comparison. */
    public boolean matches(KeyDigest other) {
        return other != null && MessageDigest.isEqual(bytes, other.bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyDigest other && MessageDigest.isEqual(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "[redacted]";
    }

    private static byte[] sha256(byte[] in) {
        return SHA256.get().digest(in);
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
