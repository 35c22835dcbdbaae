package dev.gatehouse.controller.k8s;

import java.util.HashMap;
import java.util.Map;

import static java.util.Objects.requireNonNull;

/**
 * The proxy fleet as one status pass plans against it: each count asked once per pass, not once
 * per object. The channel server answers {@link ProxyFleet#ackedAtLeast} by walking every proxy
 * session, and planning asked it twice per object (27 000 objects at full size) for the same few
 * versions. A proxy event during the planning marks the updater dirty, so the next pass plans
 * against the fleet of that moment; the writes themselves still read the live fleet. The status
 * updater's thread only.
 */
final class FleetView implements ProxyFleet {
    private final ProxyFleet live;
    private final int connected;
    private final int synced;
    private final Map<Long, Integer> acked = new HashMap<>();
    private final Map<Long, String> behind = new HashMap<>();

    FleetView(ProxyFleet live) {
        this.live = requireNonNull(live, "live");
        this.connected = live.connected();
        this.synced = live.synced();
    }

    @Override
    public int connected() {
        return connected;
    }

    @Override
    public int synced() {
        return synced;
    }

    @Override
    public int ackedAtLeast(long version) {
        return acked.computeIfAbsent(version, live::ackedAtLeast);
    }

    @Override
    public String behind(long version) {
        if (!behind.containsKey(version)) {
            behind.put(version, live.behind(version));
        }
        return behind.get(version);
    }

    @Override
    public Map<String, String> rejections(long version) {
        return live.rejections(version);
    }

    @Override
    public ReplicaReport report() {
        return live.report();
    }
}
