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
 * @param snapshot the whole configuration
 */
public record SnapshotPush(int protocol, long version, String hash, Snapshot snapshot) implements ChannelMessage {
    public SnapshotPush {
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(snapshot, "snapshot");
    }

    /** A push of {@code snapshot} with its own version and a freshly computed hash. */
    public static SnapshotPush of(Snapshot snapshot) {
        return new SnapshotPush(PROTOCOL, snapshot.version(), SnapshotCodec.contentHash(snapshot), snapshot);
    }

    @Override
    public String toString() {
        return "SnapshotPush[protocol=" + protocol + ", version=" + version + ", hash=" + hash + "]";
    }
}
