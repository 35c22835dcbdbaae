package dev.gatehouse.proxy.channel;

import dev.gatehouse.config.Problem;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.channel.ObjectDelta;

import java.util.List;

/**
 * Where the {@link ChannelClient} hands each pushed snapshot: the proxy's data plane.
 * Both methods are called from the client's one channel thread, never concurrently.
 */
public interface SnapshotSink {
    /**
     * Validates {@code snapshot} and, when it is good, serves it from now on.
     *
     * @return what is wrong with it; empty when it was applied. On problems the sink keeps
     *         serving the snapshot it had.
     */
    List<Problem> apply(Snapshot snapshot);

    /**
     * As {@link #apply(Snapshot)}, with {@code snapshot}'s content hash, which the channel computed
     * and checked against the controller's: a sink that would hash the snapshot again takes it
     * instead, so a whole snapshot is hashed once on its way in.
     */
    default List<Problem> apply(Snapshot snapshot, String contentHash) {
        return apply(snapshot);
    }

    /**
     * Serves {@code next}, which differs from {@link #current()} only in the targets of
     * {@code changedUpstreams} (an endpoint delta, already checked to apply to what is served):
     * a sink that can replace targets in place does so, keeping routes, key maps and the state of
     * targets that stay; by default it is applied as a whole snapshot. The result must be what
     * {@link #apply} of {@code next} gives.
     *
     * @param contentHash {@code next}'s content hash, as the controller sent it
     * @return what is wrong with it; empty when it was applied (as for {@link #apply})
     */
    default List<Problem> applyEndpoints(Snapshot next, String contentHash, List<String> changedUpstreams) {
        return apply(next);
    }

    /**
     * Serves {@code next}, the served snapshot with an object delta replayed (already checked to
     * apply to what is served, and its content hash to match): objects the delta did not touch are
     * the served snapshot's instances, so a sink that compiles with reuse recompiles only what
     * changed. The result must be what {@link #apply} of {@code next} gives; by default it is that.
     *
     * @param contentHash {@code next}'s content hash, checked against the controller's
     * @param delta       what changed, for a sink that validates only the changed objects
     * @return what is wrong with it; empty when it was applied (as for {@link #apply})
     */
    default List<Problem> applyObjects(Snapshot next, String contentHash, ObjectDelta delta) {
        return apply(next);
    }

    /** The snapshot served now; null (or {@link Snapshot#EMPTY}) when there is none yet. */
    Snapshot current();
}
