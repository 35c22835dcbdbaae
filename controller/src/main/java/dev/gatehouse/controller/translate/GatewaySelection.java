package dev.gatehouse.controller.translate;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;

/**
 * Which GatewayClasses are Gatehouse's, and the one port their Gateways' HTTP listeners can have.
 *
 * <p>Gatehouse does not provision a proxy deployment per Gateway: one proxy fleet serves every
 * Gateway of its classes, on the ports of the proxy Service. A listener is programmed when its
 * port is that Service's HTTP port ({@code --gateway-http-port}, the chart's
 * {@code proxy.service.ports.http}); any other port is refused on the listener with
 * {@code Accepted=False, reason PortUnavailable}, since no proxy listens there.
 *
 * @param controllerName the {@code spec.controllerName} of Gatehouse's GatewayClasses
 *                       ({@code --gateway-controller-name}); null: Gateway API support is off
 * @param httpPort       the proxy Service's HTTP port, 1..65535
 */
public record GatewaySelection(String controllerName, int httpPort) {
    public static final String DEFAULT_CONTROLLER = "gatehouse.dev/gateway-controller";
    public static final int DEFAULT_HTTP_PORT = 80;
    public static final GatewaySelection DEFAULT = new GatewaySelection(DEFAULT_CONTROLLER, DEFAULT_HTTP_PORT);
    public static final GatewaySelection OFF = new GatewaySelection(null, DEFAULT_HTTP_PORT);

    public GatewaySelection {
        if (controllerName != null && controllerName.isBlank()) {
            controllerName = null;
        }
        if (httpPort < 1 || httpPort > 65535) {
            throw new IllegalArgumentException("--gateway-http-port: " + httpPort + " (expected: 1..65535)");
        }
    }

    public boolean enabled() {
        return controllerName != null;
    }

    /** Whether {@code c} names Gatehouse as its controller. */
    public boolean ours(GatewayClass c) {
        return enabled() && c.getSpec() != null && controllerName.equals(c.getSpec().getControllerName());
    }
}
