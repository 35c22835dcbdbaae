package dev.gatehouse.controller.k8s;

import dev.gatehouse.controller.translate.IngressSelection;

import java.util.List;
import java.util.Objects;

/**
 * How the controller serves Ingresses.
 *
 * @param className         the IngressClass name it takes ({@code --ingress-class}); null: Ingress support off
 *                          (no Ingress informers, nothing read or written)
 * @param publishService    {@code namespace/name} of the proxy Service whose address goes into
 *                          {@code status.loadBalancer.ingress} ({@code --publish-service}); null for none
 * @param publishAddresses  addresses written there instead ({@code --publish-address}); they win over the Service.
 *                          With neither, no Ingress status is written.
 */
public record IngressConfig(String className, String publishService, List<String> publishAddresses) {
    public static final IngressConfig DEFAULT = new IngressConfig(IngressSelection.DEFAULT_CLASS_NAME, null, List.of());
    public static final IngressConfig OFF = new IngressConfig(null, null, List.of());

    public IngressConfig {
        className = className == null || className.isBlank() ? null : className;
        publishAddresses = List.copyOf(Objects.requireNonNullElse(publishAddresses, List.of()));
        if (publishService != null && !publishService.matches("^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?$")) {
            throw new IllegalArgumentException("--publish-service: \"" + publishService
                    + "\" (expected: NAMESPACE/NAME of the proxy Service, e.g. gatehouse-system/gatehouse-proxy)");
        }
        for (String a : publishAddresses) {
            if (a == null || a.isBlank() || a.chars().anyMatch(c -> Character.isWhitespace(c) || c == ',' || c == '/')) {
                throw new IllegalArgumentException("--publish-address: \"" + a
                        + "\" (expected: an IP address or a DNS name, e.g. 203.0.113.10 or lb.example.com)");
            }
        }
    }

    public boolean enabled() {
        return className != null;
    }

    public IngressSelection selection() {
        return new IngressSelection(className);
    }

    /** Whether the controller writes {@code status.loadBalancer} at all. */
    public boolean publishes() {
        return publishService != null || !publishAddresses.isEmpty();
    }

    String publishNamespace() {
        return publishService == null ? null : publishService.substring(0, publishService.indexOf('/'));
    }

    String publishName() {
        return publishService == null ? null : publishService.substring(publishService.indexOf('/') + 1);
    }
}
