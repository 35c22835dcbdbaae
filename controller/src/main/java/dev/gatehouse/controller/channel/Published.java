package dev.gatehouse.controller.channel;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotCodec;
import dev.gatehouse.config.channel.ChannelCodec;
import dev.gatehouse.config.channel.ChannelMessage;
import dev.gatehouse.config.channel.EndpointDelta;
import dev.gatehouse.config.channel.EndpointDiff;
import dev.gatehouse.config.channel.SnapshotPush;

import java.util.List;

/**
 * The latest published snapshot with its messages encoded once, shared by every proxy connection
 * (each wraps the bytes without copying): the whole snapshot ({@link #frame}) and, when the change
 * from the version published before is endpoint-only, the {@link EndpointDelta} from that version
 * ({@link #delta}, null otherwise). The snapshot itself is kept to diff the next publish against.
 *
 * @param deltaBaseVersion the version {@link #delta} applies to; 0 without a delta
 * @param deltaBaseHash    that version's content hash; null without a delta
 */
record Published(long version, String hash, byte[] frame, Snapshot snapshot, long deltaBaseVersion,
                 String deltaBaseHash, byte[] delta, int deltaUpstreams) {

    /**
     * @param hash     the snapshot's content hash when the caller has it (computed once, where
     *                 versions are assigned); null to compute it here
     * @param previous the latest published before; null for none
     */
    static Published of(Snapshot snapshot, String hash, String epoch, Published previous) {
        String h = hash != null ? hash : SnapshotCodec.contentHash(snapshot);
        byte[] frame = ChannelCodec.encode(new SnapshotPush(ChannelMessage.PROTOCOL, snapshot.version(),
                h, epoch, snapshot));
        if (previous == null || previous.version() >= snapshot.version()) {
            return new Published(snapshot.version(), h, frame, snapshot, 0, null, null, 0);
        }
        List<EndpointDelta.UpstreamTargets> changed = EndpointDiff.between(previous.snapshot(), snapshot);
        if (changed == null || changed.isEmpty()) {
            return new Published(snapshot.version(), h, frame, snapshot, 0, null, null, 0);
        }
        EndpointDelta delta = new EndpointDelta(ChannelMessage.PROTOCOL, previous.version(), previous.hash(),
                snapshot.version(), h, epoch, changed);
        return new Published(snapshot.version(), h, frame, snapshot, previous.version(), previous.hash(),
                ChannelCodec.encode(delta), changed.size());
    }

    boolean sameAs(long otherVersion, String otherHash) {
        return version == otherVersion && hash.equals(otherHash);
    }

    /** True when a proxy serving {@code heldVersion} with {@code heldHash} can take {@link #delta}. */
    boolean deltaFrom(long heldVersion, String heldHash) {
        return delta != null && deltaBaseVersion == heldVersion && deltaBaseHash.equals(heldHash);
    }
}
