package dev.gatehouse.config.channel;

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
 */
public record Hello(int protocol, String proxyId, long lastVersion, String lastHash, String lastEpoch,
                    Long maxMessageBytes) implements ChannelMessage {
    public Hello {
        Objects.requireNonNull(proxyId, "proxyId");
        Epochs.check("hello.lastEpoch", lastEpoch);
        if (maxMessageBytes != null && maxMessageBytes <= 0) {
            throw new IllegalArgumentException("hello.maxMessageBytes: " + maxMessageBytes + " (expected: > 0, or absent)");
        }
    }

    /** A hello that does not say the proxy's message limit. */
    public Hello(int protocol, String proxyId, long lastVersion, String lastHash, String lastEpoch) {
        this(protocol, proxyId, lastVersion, lastHash, lastEpoch, null);
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
