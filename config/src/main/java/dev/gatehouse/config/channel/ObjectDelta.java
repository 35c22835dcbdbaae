package dev.gatehouse.config.channel;

import dev.gatehouse.config.Certificate;
import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Upstream;

import java.util.List;
import java.util.Objects;

/**
 * Controller to proxy: the snapshot of {@code version} is the one of {@code baseVersion} with, per
 * kind, some objects removed and some put (added or replaced, each whole, at its index in the new
 * list). Sent instead of a {@link SnapshotPush} to a proxy known to hold the base and whose hello
 * said it takes them ({@link Hello#FEATURE_OBJECTS}); answered like a push, with an {@link Ack}
 * or a {@link Nack} of {@code version} and {@code hash}. {@link ObjectDiff} makes and replays it.
 *
 * <p>A proxy applies it only when it serves exactly the base; otherwise it answers a NACK whose
 * only error has field {@value EndpointDelta#RESYNC_FIELD}, and the controller sends the whole
 * snapshot next. The index of each put object rebuilds the exact list order (routes: the router's
 * final tie-break); the objects kept keep their relative order from the base.
 *
 * @param protocol    {@link ChannelMessage#PROTOCOL}
 * @param baseVersion the version this delta applies to
 * @param baseHash    the content hash of that version
 * @param version     the version the proxy serves after applying it
 * @param hash        the content hash of that version; the proxy checks it after replaying the delta
 * @param epoch       the sending controller's {@link Epochs epoch}, as in a push
 * @param services    the changes to the services; null when they did not change
 * @param routes      likewise for routes
 * @param upstreams   likewise for upstreams
 * @param consumers   likewise for consumers
 * @param certificates likewise for certificates
 */
public record ObjectDelta(int protocol, long baseVersion, String baseHash, long version, String hash, String epoch,
                          Changes<Service> services, Changes<Route> routes, Changes<Upstream> upstreams,
                          Changes<Consumer> consumers, Changes<Certificate> certificates) implements ChannelMessage {

    public ObjectDelta {
        Objects.requireNonNull(baseHash, "baseHash");
        Objects.requireNonNull(hash, "hash");
        Epochs.check("objects.epoch", epoch);
        if (version <= baseVersion) {
            throw new IllegalArgumentException("version: " + version + " (expected: > baseVersion " + baseVersion + ")");
        }
    }

    /**
     * The changes to one kind's list.
     *
     * @param size     the number of objects in the new list
     * @param put      the objects added or replaced, each whole with its index in the new list; by index, ascending
     * @param removed  the ids of the base's objects that are gone
     */
    public record Changes<T>(int size, List<Put<T>> put, List<String> removed) {
        public Changes {
            put = List.copyOf(Objects.requireNonNullElse(put, List.of()));
            removed = List.copyOf(Objects.requireNonNullElse(removed, List.of()));
            if (size < 0) {
                throw new IllegalArgumentException("size: " + size + " (expected: >= 0)");
            }
        }

        /** Objects put plus ids removed. */
        public int count() {
            return put.size() + removed.size();
        }
    }

    /**
     * One object added or replaced.
     *
     * @param at     its index in the new list
     * @param object the whole object
     */
    public record Put<T>(int at, T object) {
        public Put {
            Objects.requireNonNull(object, "object");
        }
    }

    /** Objects put plus ids removed, over every kind. */
    public int count() {
        int n = 0;
        for (Changes<?> c : kinds()) {
            n += c == null ? 0 : c.count();
        }
        return n;
    }

    /** The kinds that changed, as {@code routes+services} (for logs and metrics); {@code none} when none did. */
    public String changedKinds() {
        StringBuilder out = new StringBuilder();
        String[] names = ObjectDiff.KINDS;
        List<Changes<?>> kinds = kinds();
        for (int k = 0; k < names.length; k++) {
            if (kinds.get(k) != null) {
                out.append(out.isEmpty() ? "" : "+").append(names[k]);
            }
        }
        return out.isEmpty() ? "none" : out.toString();
    }

    /** The changes of each kind, in {@link ObjectDiff#KINDS} order; null entries for kinds unchanged. */
    List<Changes<?>> kinds() {
        return java.util.Arrays.asList(services, routes, upstreams, consumers, certificates);
    }

    @Override
    public String toString() {
        return "ObjectDelta[protocol=" + protocol + ", baseVersion=" + baseVersion + ", version=" + version + ", hash="
                + hash + ", epoch=" + epoch + ", kinds=" + changedKinds() + ", changes=" + count() + "]";
    }
}
