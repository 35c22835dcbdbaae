package dev.gatehouse.controller.k8s;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

import static java.util.Objects.requireNonNull;

/**
 * The leader's proxies and those of every other replica, for Programmed and a NACK's Rejected.
 * Another replica's proxies are known by content hash ({@link ReplicaReport}); the leader
 * translates a hash to the newest of its own recent versions with that content
 * ({@link dev.gatehouse.controller.publish.SnapshotVersions#versionOf}). A remote proxy has
 * acknowledged version {@code v} when its hash maps to a version {@code >= v}; a hash the leader
 * does not know (the other replica saw a state the leader never published, or is ahead of it)
 * acknowledges nothing, so the object is Pending, named as waiting for that replica, until the
 * two replicas' contents meet. A remote refusal counts for the version its hash maps to, exactly
 * like a local one.
 */
final class ClusterFleet implements ProxyFleet {
    private final ProxyFleet local;
    private final Supplier<List<ReplicaReports.Remote>> remotes;
    private final ToLongFunction<String> versionOf;
    /** Where the hashes that map to no recent version are counted; null: not counted. */
    private final UnmappedHashes unmapped;

    ClusterFleet(ProxyFleet local, Supplier<List<ReplicaReports.Remote>> remotes, ToLongFunction<String> versionOf) {
        this(local, remotes, versionOf, null);
    }

    ClusterFleet(ProxyFleet local, Supplier<List<ReplicaReports.Remote>> remotes, ToLongFunction<String> versionOf,
                 UnmappedHashes unmapped) {
        this.local = requireNonNull(local, "local");
        this.remotes = requireNonNull(remotes, "remotes");
        this.versionOf = requireNonNull(versionOf, "versionOf");
        this.unmapped = unmapped;
    }

    @Override
    public int connected() {
        int n = local.connected();
        for (ReplicaReports.Remote r : remotes.get()) {
            n += r.report().synced();
        }
        return n;
    }

    @Override
    public int synced() {
        int n = local.synced();
        for (ReplicaReports.Remote r : remotes.get()) {
            n += r.report().synced();
        }
        return n;
    }

    @Override
    public int ackedAtLeast(long version) {
        return local.ackedAtLeast(version) + remoteAckedAtLeast(version);
    }

    /**
     * The leader's own proxies that answered, and the other replicas' that acknowledged: another
     * replica counts only its synced proxies as connected ({@link #connected()}), so those are the
     * answers it can give.
     */
    @Override
    public int answeredAtLeast(long version) {
        return local.answeredAtLeast(version) + remoteAckedAtLeast(version);
    }

    private int remoteAckedAtLeast(long version) {
        int n = 0;
        for (ReplicaReports.Remote r : remotes.get()) {
            for (Map.Entry<String, Integer> e : r.report().acked().entrySet()) {
                if (acks(e.getKey(), version, r.replica())) {
                    n += e.getValue();
                }
            }
        }
        return n;
    }

    /** The leader's own proxies first (the message of a single replica), then the first replica waited for. */
    @Override
    public String behind(long version) {
        String own = local.behind(version);
        if (own != null) {
            return own;
        }
        for (ReplicaReports.Remote r : remotes.get()) {
            for (String hash : r.report().acked().keySet()) {
                if (!acks(hash, version, r.replica())) {
                    return "a proxy on replica " + r.replica() + " is not yet on this config";
                }
            }
        }
        return null;
    }

    @Override
    public Map<String, String> rejections(long version) {
        Map<String, String> out = null;
        for (ReplicaReports.Remote r : remotes.get()) {
            for (Map.Entry<String, Map<String, String>> e : r.report().refused().entrySet()) {
                if (versionOf(e.getKey(), r.replica()) != version) {
                    continue;
                }
                if (out == null) {
                    out = new HashMap<>(local.rejections(version));
                }
                for (Map.Entry<String, String> byUid : e.getValue().entrySet()) {
                    out.merge(byUid.getKey(), byUid.getValue(), (a, b) -> a + "; " + b);
                }
            }
        }
        return out == null ? local.rejections(version) : out;
    }

    /** This replica's own report: the leader writes one too, for whoever leads after it. */
    @Override
    public ReplicaReport report() {
        return local.report();
    }

    private boolean acks(String hash, long version, String replica) {
        if (ReplicaReport.UNKNOWN.equals(hash)) {
            return false;
        }
        long v = versionOf(hash, replica);
        return v > 0 && v >= version;
    }

    /** The leader's version of {@code hash}; 0, counted as unmapped, when none of its recent versions had it. */
    private long versionOf(String hash, String replica) {
        long v = versionOf.applyAsLong(hash);
        if (v <= 0 && unmapped != null) {
            unmapped.unmapped(hash, replica);
        }
        return v;
    }
}
