package dev.gatehouse.controller.k8s;

import dev.gatehouse.controller.translate.GatewaySelection;

import java.time.Duration;
import java.util.List;

/**
 * @param namespaces     namespaces to watch; empty: all
 * @param leaseNamespace namespace of the leader-election Lease
 * @param leaseName      name of the Lease
 * @param identity       this replica's identity in the Lease (pod name)
 * @param leaseDuration  how long a lease lasts without renewal
 * @param renewDeadline  the leader gives up when it cannot renew within this
 * @param retryPeriod    how often candidates try
 * @param ingress        which Ingresses are served and what their status shows
 * @param defaultCertificate the {@code --default-certificate-secret}, {@code namespace/name}; null for none
 * @param gateway        which GatewayClasses are served ({@code --gateway-controller-name}) and the proxy
 *                       Service's ports their listeners are matched to ({@code --gateway-http-port},
 *                       {@code --gateway-https-port});
 *                       {@link GatewaySelection#OFF}: no Gateway API object is read or written
 */
public record ControllerConfig(List<String> namespaces, String leaseNamespace, String leaseName, String identity,
                               Duration leaseDuration, Duration renewDeadline, Duration retryPeriod, IngressConfig ingress,
                               String defaultCertificate, GatewaySelection gateway) {
    public ControllerConfig {
        namespaces = List.copyOf(namespaces);
        ingress = java.util.Objects.requireNonNullElse(ingress, IngressConfig.DEFAULT);
        gateway = java.util.Objects.requireNonNullElse(gateway, GatewaySelection.DEFAULT);
        if (defaultCertificate != null) {
            dev.gatehouse.controller.translate.TlsSettings.checkSecretRef(defaultCertificate);
        }
    }

    /** No default certificate, the default Gateway API settings. */
    public ControllerConfig(List<String> namespaces, String leaseNamespace, String leaseName, String identity,
                            Duration leaseDuration, Duration renewDeadline, Duration retryPeriod, IngressConfig ingress) {
        this(namespaces, leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, ingress, null, null);
    }

    /** With the default Ingress settings: class {@code gatehouse}, no published address. */
    public ControllerConfig(List<String> namespaces, String leaseNamespace, String leaseName, String identity,
                            Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
        this(namespaces, leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod, IngressConfig.DEFAULT);
    }

    public static ControllerConfig defaults(List<String> namespaces, String leaseNamespace, String identity) {
        return new ControllerConfig(namespaces, leaseNamespace, "gatehouse-controller", identity,
                Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));
    }

    public ControllerConfig withIngress(IngressConfig ingress) {
        return new ControllerConfig(namespaces, leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod,
                ingress, defaultCertificate, gateway);
    }

    /** With the proxy-wide default certificate, {@code namespace/name} of a kubernetes.io/tls Secret; null for none. */
    public ControllerConfig withDefaultCertificate(String namespaceAndName) {
        return new ControllerConfig(namespaces, leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod,
                ingress, namespaceAndName, gateway);
    }

    public ControllerConfig withGateway(GatewaySelection gateway) {
        return new ControllerConfig(namespaces, leaseNamespace, leaseName, identity, leaseDuration, renewDeadline, retryPeriod,
                ingress, defaultCertificate, gateway);
    }
}
