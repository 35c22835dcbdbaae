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
 */
public record Hello(int protocol, String proxyId, long lastVersion, String lastHash, String lastEpoch)
        implements ChannelMessage {
    public Hello {
        Objects.requireNonNull(proxyId, "proxyId");
        Epochs.check("hello.lastEpoch", lastEpoch);
    }

    /** A hello without an epoch. */
    public static Hello of(String proxyId, long lastVersion, String lastHash) {
        return new Hello(PROTOCOL, proxyId, lastVersion, lastHash, null);
    }

    public static Hello of(String proxyId, long lastVersion, String lastHash, String lastEpoch) {
        return new Hello(PROTOCOL, proxyId, lastVersion, lastHash, lastEpoch);
    }
}
