package dev.gatehouse.controller.k8s;

import dev.gatehouse.controller.translate.ClusterState;
import dev.gatehouse.controller.translate.Translation;
import io.fabric8.kubernetes.api.model.networking.v1.IngressLoadBalancerIngress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The Ingress and Gateway API status passes, on the status updater's thread and on its write
 * budget (their writers skip no-op writes; a refused permit ends the pass, the next one starts
 * from a newer state). Logs as the {@link Controller}.
 */
final class OtherStatus {
    private static final Logger log = LoggerFactory.getLogger(Controller.class);
    private final ControllerConfig config;
    private final IngressStatusWriter ingressStatus;
    /** Null when the Gateway API is off. */
    private final GatewayStatusWriter gatewayStatus;

    OtherStatus(ControllerConfig config, IngressStatusWriter ingressStatus, GatewayStatusWriter gatewayStatus) {
        this.config = config;
        this.ingressStatus = ingressStatus;
        this.gatewayStatus = gatewayStatus;
    }

    void pass(ClusterState state, Translation t, long version, IngressWatch iw, GatewayWatch gw, ProxyFleet fleet,
              StatusPace pace) {
        if (iw != null) {
            IngressStatusWriter.Pass ip = ingressStatus.write(state, t, config.ingress().selection(), publishedAddresses(iw), pace);
            if (ip.stopped()) {
                return;
            }
            if (ip.written() > 0 || ip.failed() > 0 || ip.events() > 0) {
                log.info("event=ingress.status_pass written={} unchanged={} failed={} warnings={}", ip.written(),
                        ip.unchanged(), ip.failed(), ip.events());
            }
        }
        if (gw != null) {
            GatewayStatusWriter.Pass gp = gatewayStatus.write(state.gatewayApi(), t.gatewayApi(),
                    GatewayApiHook.addresses(config.ingress(), gw), version, fleet, pace);
            if (gp.written() > 0 || gp.failed() > 0) {
                log.info("event=gatewayapi.status_pass written={} unchanged={} failed={}", gp.written(), gp.unchanged(),
                        gp.failed());
            }
        }
    }

    /** What Ingresses of our class show in status.loadBalancer.ingress; null: no status is written. */
    private List<IngressLoadBalancerIngress> publishedAddresses(IngressWatch iw) {
        IngressConfig ic = config.ingress();
        if (!ic.publishAddresses().isEmpty()) {
            return PublishedAddresses.of(ic.publishAddresses());
        }
        return ic.publishService() == null ? null : PublishedAddresses.of(iw.publishService());
    }
}
