package dev.gatehouse.config.channel;

import dev.gatehouse.config.Upstream;

import java.util.List;
import java.util.Objects;

/**
 * Controller to proxy: the snapshot of {@code version} is the one of {@code baseVersion} with the
 * targets of some upstreams replaced, and nothing else changed. Sent instead of a {@link SnapshotPush}
 * when the change is endpoint-only (pods rolling) and the proxy is known to hold the base; a
 * proxy answers it like a push, with an {@link Ack} or a {@link Nack} of {@code version} and
 * {@code hash}.
 *
 * <p>A proxy applies it only when it serves exactly the base ({@code baseVersion} and
 * {@code baseHash}); otherwise it answers a NACK whose only error has field {@value #RESYNC_FIELD},
 * and the controller sends the whole snapshot next. Each upstream carries its full new target list
 * (replacement, not per-endpoint operations), so applying a delta twice, or a full snapshot after
 * it, gives the same state.
 *
 * @param protocol    {@link ChannelMessage#PROTOCOL}
 * @param baseVersion the version this delta applies to
 * @param baseHash    the content hash of that version
 * @param version     the version the proxy serves after applying it
 * @param hash        the content hash of that version: the proxy's ACK carries it, and its next hello
 * @param epoch       the sending controller's {@link Epochs epoch}, as in a push
 * @param upstreams   the upstreams whose targets changed, each with its whole new target list; sorted by id
 */
public record EndpointDelta(int protocol, long baseVersion, String baseHash, long version, String hash, String epoch,
                            List<UpstreamTargets> upstreams) implements ChannelMessage {
    /** The field of a NACK error that asks for the whole snapshot. */
    public static final String RESYNC_FIELD = "baseVersion";

    public EndpointDelta {
        Objects.requireNonNull(baseHash, "baseHash");
        Objects.requireNonNull(hash, "hash");
        Epochs.check("endpoints.epoch", epoch);
        upstreams = List.copyOf(Objects.requireNonNullElse(upstreams, List.of()));
        if (version <= baseVersion) {
            throw new IllegalArgumentException("version: " + version + " (expected: > baseVersion " + baseVersion + ")");
        }
    }

    /**
     * One upstream's new targets.
     *
     * @param id      the upstream's id, as in the snapshot
     * @param targets every target it has from now on, sorted as the translator sorts them
     */
    public record UpstreamTargets(String id, List<Upstream.Target> targets) {
        public UpstreamTargets {
            Objects.requireNonNull(id, "id");
            targets = List.copyOf(Objects.requireNonNullElse(targets, List.of()));
        }
    }

    @Override
    public String toString() {
        return "EndpointDelta[protocol=" + protocol + ", baseVersion=" + baseVersion + ", version=" + version + ", hash="
                + hash + ", epoch=" + epoch + ", upstreams=" + upstreams.size() + "]";
    }
}
