package dev.gatehouse.controller.channel;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.channel.ChannelCodec;
import dev.gatehouse.config.channel.SnapshotPush;

/**
 * The latest published snapshot with its push message encoded once, shared by every proxy
 * connection (each wraps {@link #frame} without copying).
 */
record Published(long version, String hash, byte[] frame) {
    static Published of(Snapshot snapshot, String epoch) {
        SnapshotPush push = SnapshotPush.of(snapshot, epoch);
        return new Published(push.version(), push.hash(), ChannelCodec.encode(push));
    }

    boolean sameAs(long otherVersion, String otherHash) {
        return version == otherVersion && hash.equals(otherHash);
    }
}
