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

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

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
 * <p>A proxy still applying an older version when this one is published (versions come faster than
 * it answers: a rollout's endpoint changes, tens of milliseconds apart) is at a base some versions
 * back. It gets a <em>catch-up</em> delta from the version it serves to this one ({@link #deltaFor}),
 * computed on first need and shared by every proxy at that base, as long as its base is among the
 * last {@value #CATCH_UP_VERSIONS} published: without it, such a proxy got the whole snapshot (11 MB
 * at 10 000 routes, seconds to apply), fell further behind, and got the whole snapshot again.
 *
 * <p>Proxies from before per-object hashing get the whole snapshot with the {@link ContentHash#legacy
 * legacy hash} ({@link #legacyFrame}), computed on first need.
 */
final class Published {
    /** The share of a snapshot's objects above which a change goes out whole. */
    static final double MAX_DELTA_SHARE = 0.5;

    /** The versions before this one a proxy can catch up from with one delta, by default ({@code --catch-up-versions}). */
    static final int CATCH_UP_VERSIONS = ChannelServerConfig.DEFAULT_CATCH_UP_VERSIONS;

    enum DeltaKind { ENDPOINTS, OBJECTS }

    /** A delta's message and kind. */
    record Delta(byte[] bytes, DeltaKind kind, int count, String kinds) {
    }

    /** A version published before, kept (its snapshot only: never its encoded frames) to diff against. */
    private record Base(long version, String hash, Snapshot snapshot) {
    }

    /** A catch-up delta not worth sending (too much changed): the whole snapshot goes instead. */
    private static final Delta WHOLE = new Delta(null, null, 0, null);

    private final long version;
    private final String hash;
    private final String epoch;
    private final Snapshot snapshot;
    private final long deltaBaseVersion;
    private final String deltaBaseHash;
    /** The delta from the version published just before; null without one. */
    private final Delta delta;
    /** The versions published before this one, oldest first, at most {@code --catch-up-versions}. */
    private final List<Base> bases;
    /** Catch-up deltas computed so far, by base version ({@link #WHOLE} when none is worth sending). */
    private final Map<Long, Delta> catchUps = new HashMap<>();
    private byte[] frame;
    private String legacyHash;
    private byte[] legacyFrame;

    private Published(Snapshot snapshot, String hash, String epoch, long deltaBaseVersion, String deltaBaseHash, Delta delta,
                      List<Base> bases) {
        this.bases = bases;
        this.version = snapshot.version();
        this.hash = hash;
        this.epoch = epoch;
        this.snapshot = snapshot;
        this.deltaBaseVersion = deltaBaseVersion;
        this.deltaBaseHash = deltaBaseHash;
        this.delta = delta;
    }

    /**
     * @param hash     the snapshot's content hash when the caller has it (computed once, where
     *                 versions are assigned); null to compute it here
     * @param previous the latest published before; null for none
     */
    static Published of(Snapshot snapshot, String hash, String epoch, Published previous) {
        return of(snapshot, hash, epoch, previous, CATCH_UP_VERSIONS);
    }

    /** @param catchUpVersions the versions before this one kept to catch up from ({@code --catch-up-versions}, at least 1) */
    static Published of(Snapshot snapshot, String hash, String epoch, Published previous, int catchUpVersions) {
        String h = hash != null ? hash : SnapshotCodec.contentHash(snapshot);
        if (previous == null || previous.version() >= snapshot.version()) {
            return new Published(snapshot, h, epoch, 0, null, null, List.of());
        }
        List<Base> bases = new ArrayList<>(Math.min(previous.bases.size() + 1, catchUpVersions));
        if (Objects.equals(previous.epoch, epoch)) { // versions of another epoch are never a proxy's base for this one
            bases.addAll(previous.bases.subList(Math.max(0, previous.bases.size() + 1 - catchUpVersions), previous.bases.size()));
        }
        bases.add(new Base(previous.version, previous.hash, previous.snapshot));
        Delta d = diff(previous.snapshot, previous.version, previous.hash, snapshot, h, epoch);
        if (d == null) {
            return new Published(snapshot, h, epoch, 0, null, null, List.copyOf(bases));
        }
        return new Published(snapshot, h, epoch, previous.version, previous.hash, d, List.copyOf(bases));
    }

    /**
     * The delta from {@code base} to {@code snapshot}: an {@code endpoints} message when only
     * upstream targets changed, else an {@code objects} message; null when more than
     * {@value #MAX_DELTA_SHARE} of the objects changed (the whole snapshot is then about as big).
     */
    private static Delta diff(Snapshot base, long baseVersion, String baseHash, Snapshot snapshot, String h, String epoch) {
        ObjectDelta objects = ObjectDiff.between(base, baseVersion, baseHash, snapshot, h, epoch, MAX_DELTA_SHARE);
        if (objects == null) {
            return null;
        }
        List<EndpointDelta.UpstreamTargets> endpoints = EndpointDiff.fromObjects(base, objects);
        if (endpoints != null) {
            byte[] bytes = ChannelCodec.encode(new EndpointDelta(ChannelMessage.PROTOCOL, baseVersion, baseHash,
                    snapshot.version(), h, epoch, endpoints));
            return new Delta(bytes, DeltaKind.ENDPOINTS, endpoints.size(), "endpoints");
        }
        return new Delta(ChannelCodec.encode(objects), DeltaKind.OBJECTS, objects.count(), objects.changedKinds());
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
        return delta == null ? null : delta.bytes();
    }

    /** What kind of delta {@link #delta} is; null without one. */
    DeltaKind deltaKind() {
        return delta == null ? null : delta.kind();
    }

    /** Upstreams (endpoints) or objects put and removed (objects) in the delta; 0 without one. */
    int deltaCount() {
        return delta == null ? 0 : delta.count();
    }

    /** The kinds of objects the delta changes, as {@code routes+services}; null without one. */
    String deltaKinds() {
        return delta == null ? null : delta.kinds();
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

    /** True when {@code d} (from {@link #deltaFor}) is a catch-up delta, not the delta from the version just before. */
    boolean catchUp(Delta d) {
        return d != null && d != delta;
    }

    /** True when a proxy serving {@code heldVersion} with {@code heldHash} can take {@link #delta}. */
    boolean deltaFrom(long heldVersion, String heldHash) {
        return delta != null && deltaBaseVersion == heldVersion && deltaBaseHash.equals(heldHash);
    }

    /**
     * The delta a proxy serving {@code heldVersion} with {@code heldHash} takes to reach this
     * version: {@link #delta} when it serves the version just before, a catch-up delta when it
     * serves one of the versions kept before that (computed once per base); null when
     * it must get the whole snapshot (an unknown base, another hash, or too much changed).
     */
    synchronized Delta deltaFor(long heldVersion, String heldHash) {
        if (heldHash == null) {
            return null;
        }
        if (deltaFrom(heldVersion, heldHash)) {
            return delta;
        }
        Delta known = catchUps.get(heldVersion);
        if (known == null) {
            Base base = null;
            for (Base b : bases) {
                if (b.version() == heldVersion && b.hash().equals(heldHash)) {
                    base = b;
                }
            }
            if (base == null) {
                return null;
            }
            Delta d = diff(base.snapshot(), base.version(), base.hash(), snapshot, hash, epoch);
            known = d == null ? WHOLE : d;
            catchUps.put(heldVersion, known);
        }
        return known == WHOLE ? null : known;
    }
}
