package dev.gatehouse.controller.channel;

import dev.gatehouse.config.channel.ObjectError;
import dev.gatehouse.controller.k8s.ProxyFleet;

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
                    out.merge(e.uid(), "proxy " + p.proxyId() + ": " + e.field() + ": " + e.message(), (a, b) -> a + "; " + b);
                }
            }
        }
        return out;
    }
}
