package dev.gatehouse.controller.k8s;

import java.util.Map;

/** What the controller knows of the connected proxies, for the {@code Programmed} condition. */
public interface ProxyFleet {
    /** Proxies connected now. */
    int connected();

    /** Connected proxies that acknowledged {@code version} or a newer one. */
    int ackedAtLeast(long version);

    /** For {@code version}: the source object uid → why a proxy refused it (from NACKs). */
    Map<String, String> rejections(long version);

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
