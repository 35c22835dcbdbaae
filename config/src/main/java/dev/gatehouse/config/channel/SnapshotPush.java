package dev.gatehouse.config.channel;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotCodec;

import java.util.Objects;

/**
 * Controller to proxy: the snapshot to serve from now on. A proxy answers every push it applies
 * with an {@link Ack} or a {@link Nack} of the same version and hash.
 *
 * @param protocol {@link ChannelMessage#PROTOCOL}
 * @param version  the snapshot's version; equals {@code snapshot.version()}
 * @param hash     the snapshot's {@link SnapshotCodec#contentHash content hash}; the proxy checks it
 * @param epoch    the pushing controller's {@link Epochs epoch}: within one epoch versions never go
 *                 back, and a proxy refuses (NACKs) a push older than what it applied from the same
 *                 epoch. Null from a controller before epochs: then the proxy checks no order.
 * @param snapshot the whole configuration
 */
public record SnapshotPush(int protocol, long version, String hash, String epoch, Snapshot snapshot)
        implements ChannelMessage {
    public SnapshotPush {
        Objects.requireNonNull(hash, "hash");
        Epochs.check("snapshot.epoch", epoch);
        Objects.requireNonNull(snapshot, "snapshot");
    }

    /** A push of {@code snapshot} with its own version, a freshly computed hash and no epoch. */
    public static SnapshotPush of(Snapshot snapshot) {
        return of(snapshot, null);
    }

    /** A push of {@code snapshot} with its own version and a freshly computed hash, from controller {@code epoch}. */
    public static SnapshotPush of(Snapshot snapshot, String epoch) {
        return new SnapshotPush(PROTOCOL, snapshot.version(), SnapshotCodec.contentHash(snapshot), epoch, snapshot);
    }

    @Override
    public String toString() {
        return "SnapshotPush[protocol=" + protocol + ", version=" + version + ", hash=" + hash + ", epoch=" + epoch + "]";
    }
}
