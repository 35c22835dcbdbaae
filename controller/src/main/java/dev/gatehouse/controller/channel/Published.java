package dev.gatehouse.controller.channel;

import dev.gatehouse.config.ContentHash;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotCodec;
import dev.gatehouse.config.channel.ChannelCodec;
import dev.gatehouse.config.channel.ChannelMessage;
import dev.gatehouse.config.channel.EndpointDelta;
import dev.gatehouse.config.channel.EndpointDiff;
import dev.gatehouse.config.channel.ObjectDelta;
import dev.gatehouse.config.channel.ObjectDiff;
import dev.gatehouse.config.channel.SnapshotPush;

import java.util.List;

/**
 * The latest published snapshot with its messages, each encoded at most once and shared by every
 * proxy connection (each wraps the bytes without copying): the delta from the version published
 * before, when there is one worth sending, encoded at publish; the whole snapshot ({@link #frame})
 * encoded only when a proxy needs it (a new one, one not at the base, one from before deltas), so
 * a change every proxy takes as a delta never serialises the whole configuration.
 *
 * <p>The delta is an {@code endpoints} message when only upstream targets changed (smallest on
 * the wire), else an {@code objects} message, unless more than {@value #MAX_DELTA_SHARE} of the
 * objects changed: the whole snapshot is then about as big and cheaper to apply.
 *
 * <p>Proxies from before per-object hashing get the whole snapshot with the {@link ContentHash#legacy
 * legacy hash} ({@link #legacyFrame}), computed on first need.
 */
final class Published {
    /** The share of a snapshot's objects above which a change goes out whole. */
    static final double MAX_DELTA_SHARE = 0.5;

    enum DeltaKind { ENDPOINTS, OBJECTS }

    private final long version;
    private final String hash;
    private final String epoch;
    private final Snapshot snapshot;
    private final long deltaBaseVersion;
    private final String deltaBaseHash;
    private final byte[] delta;
    private final DeltaKind deltaKind;
    private final int deltaCount;
    private final String deltaKinds;
    private byte[] frame;
    private String legacyHash;
    private byte[] legacyFrame;

    private Published(Snapshot snapshot, String hash, String epoch, long deltaBaseVersion, String deltaBaseHash, byte[] delta,
                      DeltaKind deltaKind, int deltaCount, String deltaKinds) {
        this.version = snapshot.version();
        this.hash = hash;
        this.epoch = epoch;
        this.snapshot = snapshot;
        this.deltaBaseVersion = deltaBaseVersion;
        this.deltaBaseHash = deltaBaseHash;
        this.delta = delta;
        this.deltaKind = deltaKind;
        this.deltaCount = deltaCount;
        this.deltaKinds = deltaKinds;
    }

    /**
     * @param hash     the snapshot's content hash when the caller has it (computed once, where
     *                 versions are assigned); null to compute it here
     * @param previous the latest published before; null for none
     */
    static Published of(Snapshot snapshot, String hash, String epoch, Published previous) {
        String h = hash != null ? hash : SnapshotCodec.contentHash(snapshot);
        if (previous == null || previous.version() >= snapshot.version()) {
            return new Published(snapshot, h, epoch, 0, null, null, null, 0, null);
        }
        ObjectDelta objects = ObjectDiff.between(previous.snapshot, previous.version, previous.hash, snapshot, h, epoch,
                MAX_DELTA_SHARE);
        if (objects == null) {
            return new Published(snapshot, h, epoch, 0, null, null, null, 0, null);
        }
        List<EndpointDelta.UpstreamTargets> endpoints = EndpointDiff.fromObjects(previous.snapshot, objects);
        if (endpoints != null) {
            byte[] bytes = ChannelCodec.encode(new EndpointDelta(ChannelMessage.PROTOCOL, previous.version, previous.hash,
                    snapshot.version(), h, epoch, endpoints));
            return new Published(snapshot, h, epoch, previous.version, previous.hash, bytes, DeltaKind.ENDPOINTS,
                    endpoints.size(), "endpoints");
        }
        return new Published(snapshot, h, epoch, previous.version, previous.hash, ChannelCodec.encode(objects),
                DeltaKind.OBJECTS, objects.count(), objects.changedKinds());
    }

    long version() {
        return version;
    }

    String hash() {
        return hash;
    }

    Snapshot snapshot() {
        return snapshot;
    }

    /** The delta's message, null without one. */
    byte[] delta() {
        return delta;
    }

    /** What kind of delta {@link #delta} is; null without one. */
    DeltaKind deltaKind() {
        return deltaKind;
    }

    /** Upstreams (endpoints) or objects put and removed (objects) in the delta; 0 without one. */
    int deltaCount() {
        return deltaCount;
    }

    /** The kinds of objects the delta changes, as {@code routes+services}; null without one. */
    String deltaKinds() {
        return deltaKinds;
    }

    /** The whole snapshot's message with the content hash; encoded on first call. */
    synchronized byte[] frame() {
        if (frame == null) {
            frame = ChannelCodec.encode(new SnapshotPush(ChannelMessage.PROTOCOL, version, hash, epoch, snapshot));
        }
        return frame;
    }

    /** Its size when it was encoded already; -1 otherwise. */
    synchronized int frameBytesIfEncoded() {
        return frame == null ? -1 : frame.length;
    }

    /** The content hash as proxies from before per-object hashing compute it; computed on first call. */
    synchronized String legacyHash() {
        if (legacyHash == null) {
            legacyHash = ContentHash.legacy(snapshot);
        }
        return legacyHash;
    }

    /** The whole snapshot's message with the {@link #legacyHash}, for proxies from before per-object hashing. */
    synchronized byte[] legacyFrame() {
        if (legacyFrame == null) {
            legacyFrame = ChannelCodec.encode(new SnapshotPush(ChannelMessage.PROTOCOL, version, legacyHash(), epoch, snapshot));
        }
        return legacyFrame;
    }

    /** True when a proxy serving {@code heldVersion} with {@code heldHash} can take {@link #delta}. */
    boolean deltaFrom(long heldVersion, String heldHash) {
        return delta != null && deltaBaseVersion == heldVersion && deltaBaseHash.equals(heldHash);
    }
}
