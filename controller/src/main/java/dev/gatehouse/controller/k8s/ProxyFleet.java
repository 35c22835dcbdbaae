package dev.gatehouse.controller.k8s;

import java.util.Map;

/**
 * What the controller knows of the proxies, for the {@code Programmed} condition: this replica's
 * own ({@link dev.gatehouse.controller.channel.ChannelFleet}), or on the leader those of every
 * replica ({@link ClusterFleet}).
 */
public interface ProxyFleet {
    /** The Pending message when a proxy of this replica has not acknowledged an object's version yet. */
    String NOT_EVERY_PROXY = "not yet applied by every connected proxy";

    /** Proxies connected now. */
    int connected();

    /** Connected proxies that acknowledged {@code version} or a newer one. */
    int ackedAtLeast(long version);

    /**
     * Connected proxies that answered {@code version} or a newer one: acknowledged it, or refused it
     * (a NACK is an answer too). At least {@link #ackedAtLeast}; the same where refusals are not known.
     */
    default int answeredAtLeast(long version) {
        return ackedAtLeast(version);
    }

    /** For {@code version}: the source object uid → why a proxy refused it (from NACKs). */
    Map<String, String> rejections(long version);

    /**
     * Proxies that applied a snapshot of this controller: they serve, so only they count for
     * Programmed (one still syncing is not ready and serves nothing).
     */
    default int synced() {
        return ackedAtLeast(1);
    }

    /** Why a synced proxy has not acknowledged {@code version} yet, for Pending; null when every one has. */
    default String behind(long version) {
        return ackedAtLeast(version) < synced() ? NOT_EVERY_PROXY : null;
    }

    /** What this replica's synced proxies acknowledged and refused, in content hashes, for the leader. */
    default ReplicaReport report() {
        return ReplicaReport.EMPTY;
    }

    ProxyFleet NONE = new ProxyFleet() {
        @Override
        public int connected() {
            return 0;
        }

        @Override
        public int ackedAtLeast(long version) {
            return 0;
        }

        @Override
        public Map<String, String> rejections(long version) {
            return Map.of();
        }
    };
}
