package dev.gatehouse.controller.k8s;

import dev.gatehouse.controller.translate.GatewaySelection;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngress;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * How the controller starts its Gateway API input, kept out of {@link Controller}: the informers
 * when the support is on, and nothing (one log line naming the fix) when the cluster has no
 * Gateway API CRDs, so a cluster without them still gets a working controller.
 */
final class GatewayApiHook {
    private static final Logger log = LoggerFactory.getLogger(GatewayApiHook.class);

    private GatewayApiHook() {
    }

    /** @return the watch, or null when the support is off or the CRDs are missing */
    static GatewayWatch start(KubernetesClient client, ControllerConfig config, Runnable onChange) {
        GatewaySelection selection = config.gateway();
        if (!selection.enabled()) {
            log.info("event=gatewayapi.off");
            return null;
        }
        try {
            GatewayWatch w = new GatewayWatch(client, config.namespaces(), selection, config.ingress().publishService(), onChange);
            log.info("event=gatewayapi.watching controller_name={} http_port={} https_port={}", selection.controllerName(),
                    selection.httpPort(), selection.httpsPort());
            return w;
        } catch (KubernetesClientException e) {
            log.warn("event=gatewayapi.unavailable code={} problem=\"cannot watch gateway.networking.k8s.io/v1: {}\" "
                    + "fix=\"install the Gateway API CRDs (standard channel) and restart the controller, or turn the "
                    + "support off with --no-gateway-api\"", e.getCode(),
                    e.getMessage() == null ? "" : e.getMessage().replace('"', '\''));
            return null;
        }
    }

    /** What Gateways show in status.addresses: the same published addresses as Ingress status; empty for none. */
    static List<String> addresses(IngressConfig ic, GatewayWatch gw) {
        List<IngressLoadBalancerIngress> found = !ic.publishAddresses().isEmpty() ? PublishedAddresses.of(ic.publishAddresses())
                : ic.publishService() == null ? List.of() : PublishedAddresses.of(gw.publishService());
        return found.stream().map(a -> a.getIp() != null ? a.getIp() : a.getHostname()).toList();
    }
}
