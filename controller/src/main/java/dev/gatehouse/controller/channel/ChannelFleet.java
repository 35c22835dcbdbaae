package dev.gatehouse.controller.channel;

import dev.gatehouse.config.channel.ObjectError;
import dev.gatehouse.controller.k8s.ProxyFleet;
import dev.gatehouse.controller.k8s.ReplicaReport;

import java.util.HashMap;
import java.util.Map;

/** The channel server's view of its proxies, as the controller's status writer needs it. */
public final class ChannelFleet implements ProxyFleet {
    private final ChannelServer server;

    public ChannelFleet(ChannelServer server) {
        this.server = server;
    }

    @Override
    public int connected() {
        return server.connectedCount();
    }

    @Override
    public int ackedAtLeast(long version) {
        return server.ackedAtLeast(version);
    }

    @Override
    public int answeredAtLeast(long version) {
        return server.answeredAtLeast(version);
    }

    /** uid → "proxy P: field: message" from the NACKs of {@code version}. */
    @Override
    public Map<String, String> rejections(long version) {
        Map<String, String> out = new HashMap<>();
        for (ProxyState p : server.proxies()) {
            if (p.lastNack() == null || p.lastNack().version() != version) {
                continue;
            }
            for (ObjectError e : p.lastNack().errors()) {
                if (e.uid() != null) {
                    out.merge(e.uid(), refusal(p, e), (a, b) -> a + "; " + b);
                }
            }
        }
        return out;
    }

    /**
     * The synced proxies by the content hash they acknowledged last, and every proxy's last refusal
     * not superseded by a newer acknowledgement, by the content hash refused (the same words as
     * {@link #rejections}), for the leader.
     */
    @Override
    public ReplicaReport report() {
        ReplicaReport.Builder b = new ReplicaReport.Builder();
        for (ProxyState p : server.proxies()) {
            if (p.lastAckedVersion() > 0) { // one still syncing serves nothing: not counted, but its refusals are
                b.acked(p.lastAckedContent());
            }
            if (p.lastNack() != null && p.lastNackContent() != null && p.lastNack().version() > p.lastAckedVersion()) {
                for (ObjectError e : p.lastNack().errors()) {
                    if (e.uid() != null) {
                        b.refused(p.lastNackContent(), e.uid(), refusal(p, e));
                    }
                }
            }
        }
        return b.build();
    }

    private static String refusal(ProxyState p, ObjectError e) {
        return "proxy " + p.proxyId() + ": " + e.field() + ": " + e.message();
    }
}
