package dev.gatehouse.bench.scale;

import dev.gatehouse.config.Problem;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.config.channel.ObjectDelta;
import dev.gatehouse.proxy.channel.ChannelClient;
import dev.gatehouse.proxy.channel.ChannelClientConfig;
import dev.gatehouse.proxy.channel.SnapshotSink;

import java.net.URI;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static java.util.Objects.requireNonNull;

/**
 * Which snapshot version carries an endpoint change, read from what the controller sends: a third
 * channel client in the harness (the proxy's own {@link ChannelClient}, so the protocol is the
 * real one: snapshots, endpoint and object deltas, resyncs) whose sink serves nothing and hands
 * the targets of the watched upstreams, per version, to a listener. The proxies' log lines say
 * when they applied a version but not what it held; with changes written faster than the
 * controller publishes, one version carries several, and this tells which.
 *
 * <p>The controller counts it as a connected proxy: it sends it every version (the same encoded
 * frame as to the proxies) and waits for its ACK too, which it gives as soon as the targets are
 * copied.
 */
final class Observer implements SnapshotSink, AutoCloseable {
    /** Told the targets (address → weight) of each watched upstream a version changed, or of all on a whole snapshot. */
    interface Listener {
        void seen(long version, Map<String, Map<String, Integer>> targets);
    }

    private final Set<String> watched;
    private final Listener listener;
    private volatile Snapshot current = Snapshot.EMPTY;
    private final ChannelClient client;

    Observer(URI channel, String token, Set<String> watchedUpstreams, Listener listener) {
        this.watched = Set.copyOf(watchedUpstreams);
        this.listener = requireNonNull(listener, "listener");
        this.client = ChannelClient.start(ChannelClientConfig.of(channel, token, "bench-observer"), this);
    }

    /** The version held, 0 before the first. */
    long version() {
        return current.version();
    }

    @Override
    public List<Problem> apply(Snapshot snapshot) {
        return seen(snapshot, null);
    }

    @Override
    public List<Problem> applyEndpoints(Snapshot next, String contentHash, List<String> changedUpstreams) {
        return seen(next, Set.copyOf(changedUpstreams));
    }

    @Override
    public List<Problem> applyObjects(Snapshot next, String contentHash, ObjectDelta delta) {
        return seen(next, null);
    }

    private List<Problem> seen(Snapshot next, Set<String> changed) {
        Map<String, Map<String, Integer>> targets = new HashMap<>();
        for (Upstream u : next.upstreams()) {
            if (watched.contains(u.id()) && (changed == null || changed.contains(u.id()))) {
                Map<String, Integer> t = new HashMap<>();
                for (Upstream.Target target : u.targets()) {
                    t.put(target.host(), target.weight());
                }
                targets.put(u.id(), t);
            }
        }
        current = next;
        if (!targets.isEmpty()) {
            listener.seen(next.version(), targets);
        }
        return List.of();
    }

    @Override
    public Snapshot current() {
        return current;
    }

    @Override
    public void close() {
        client.close();
    }
}
