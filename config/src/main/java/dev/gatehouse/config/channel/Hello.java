package dev.gatehouse.config.channel;

import java.util.List;
import java.util.Objects;

/**
 * Proxy to controller, first message on every connection.
 *
 * @param protocol    {@link ChannelMessage#PROTOCOL}
 * @param proxyId     the proxy's name, e.g. its pod name; shown in logs and in the controller's state
 * @param lastVersion the version of the snapshot the proxy serves now; 0 when it has none
 * @param lastHash    the {@link dev.gatehouse.config.SnapshotCodec#contentHash content hash} of
 *                    that snapshot; null when it has none. When it equals the controller's latest
 *                    hash the controller does not resend the snapshot.
 * @param lastEpoch   the {@link Epochs epoch} of the controller that pushed that snapshot; null
 *                    when the proxy serves none or does not know (a controller before epochs).
 *                    Informative: the controller logs it; order is enforced by the proxy.
 * @param maxMessageBytes the largest message the proxy takes (after decompression); the controller
 *                    sends nothing bigger to it. Null when not said (a proxy before the limit was told):
 *                    then only the controller's own limit applies, and the controller sends it no
 *                    {@link EndpointDelta}s (a proxy that tells its limit takes them).
 * @param features    what the proxy takes beyond the messages of its protocol: {@value #FEATURE_OBJECTS}
 *                    ({@link ObjectDelta}s, and {@link dev.gatehouse.config.ContentHash content hashes}
 *                    per object). Empty (left out) from a proxy from before: the controller then sends it
 *                    whole snapshots with the {@link dev.gatehouse.config.ContentHash#legacy legacy hash}.
 *                    Names it does not know are ignored by the controller.
 */
public record Hello(int protocol, String proxyId, long lastVersion, String lastHash, String lastEpoch,
                    Long maxMessageBytes, List<String> features) implements ChannelMessage {
    /**
     * Takes {@link ObjectDelta}s and speaks the summed per-object {@link dev.gatehouse.config.ContentHash}.
     * Builds with the first per-object hash (an ordered list of digests) said {@code "objects"}; a
     * controller now takes them for proxies from before object deltas (whole snapshots, legacy
     * hash, which they accept), so either end can be upgraded first.
     */
    public static final String FEATURE_OBJECTS = "objects2";

    public Hello {
        Objects.requireNonNull(proxyId, "proxyId");
        Epochs.check("hello.lastEpoch", lastEpoch);
        if (maxMessageBytes != null && maxMessageBytes <= 0) {
            throw new IllegalArgumentException("hello.maxMessageBytes: " + maxMessageBytes + " (expected: > 0, or absent)");
        }
        features = features == null || features.isEmpty() ? null : List.copyOf(features);
    }

    /** A hello without features (a proxy from before object deltas). */
    public Hello(int protocol, String proxyId, long lastVersion, String lastHash, String lastEpoch, Long maxMessageBytes) {
        this(protocol, proxyId, lastVersion, lastHash, lastEpoch, maxMessageBytes, null);
    }

    /** True when the proxy said it takes {@code feature}. */
    public boolean has(String feature) {
        return features != null && features.contains(feature);
    }

    /** A hello that does not say the proxy's message limit. */
    public Hello(int protocol, String proxyId, long lastVersion, String lastHash, String lastEpoch) {
        this(protocol, proxyId, lastVersion, lastHash, lastEpoch, null, null);
    }

    /** A hello without an epoch. */
    public static Hello of(String proxyId, long lastVersion, String lastHash) {
        return new Hello(PROTOCOL, proxyId, lastVersion, lastHash, null);
    }

    public static Hello of(String proxyId, long lastVersion, String lastHash, String lastEpoch) {
        return new Hello(PROTOCOL, proxyId, lastVersion, lastHash, lastEpoch);
    }

    /** A hello that tells the proxy's message limit. */
    public static Hello of(String proxyId, long lastVersion, String lastHash, String lastEpoch, long maxMessageBytes) {
        return new Hello(PROTOCOL, proxyId, lastVersion, lastHash, lastEpoch, maxMessageBytes);
    }
}
