package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Source;

import java.util.List;

/**
 * What an Ingress asks of TLS, recorded for TLS termination (not built yet: until it is, these
 * hosts are served over plain HTTP and the Ingress gets a NotYetSupported warning).
 *
 * @param source        the Ingress
 * @param blocks        its {@code spec.tls} entries, in order
 * @param httpsRedirect the {@code gatehouse.dev/https-redirect} annotation
 */
public record IngressTls(Source source, List<Block> blocks, boolean httpsRedirect) {
    public IngressTls {
        blocks = List.copyOf(blocks);
    }

    /**
     * @param secretName the {@code kubernetes.io/tls} Secret in the Ingress's namespace; null when not given
     * @param hosts      the hosts it covers, as written
     */
    public record Block(String secretName, List<String> hosts) {
        public Block {
            hosts = List.copyOf(hosts);
        }
    }
}
