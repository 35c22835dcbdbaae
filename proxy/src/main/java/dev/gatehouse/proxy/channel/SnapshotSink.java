package dev.gatehouse.proxy.channel;

import dev.gatehouse.config.Problem;
import dev.gatehouse.config.Snapshot;

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

    /** The snapshot served now; null (or {@link Snapshot#EMPTY}) when there is none yet. */
    Snapshot current();
}
