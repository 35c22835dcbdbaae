package dev.gatehouse.controller.translate;

import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;

/**
 * Which GatewayClasses are Gatehouse's, and the one port their Gateways' listeners can have per
 * protocol.
 *
 * <p>Gatehouse does not provision a proxy deployment per Gateway: one proxy fleet serves every
 * Gateway of its classes, on the ports of the proxy Service. An HTTP listener is programmed when
 * its port is that Service's HTTP port ({@code --gateway-http-port}, the chart's
 * {@code proxy.service.ports.http}), an HTTPS listener when its port is the Service's TLS port
 * ({@code --gateway-https-port}, the chart's {@code proxy.service.ports.https}); any other port is
 * refused on the listener with {@code Accepted=False, reason PortUnavailable}, since no proxy
 * listens there.
 *
 * @param controllerName the {@code spec.controllerName} of Gatehouse's GatewayClasses
 *                       ({@code --gateway-controller-name}); null: Gateway API support is off
 * @param httpPort       the proxy Service's HTTP port, 1..65535
 * @param httpsPort      the proxy Service's TLS port, 1..65535, not {@code httpPort}
 */
public record GatewaySelection(String controllerName, int httpPort, int httpsPort) {
    public static final String DEFAULT_CONTROLLER = "gatehouse.dev/gateway-controller";
    public static final int DEFAULT_HTTP_PORT = 80;
    public static final int DEFAULT_HTTPS_PORT = 443;
    public static final GatewaySelection DEFAULT = new GatewaySelection(DEFAULT_CONTROLLER, DEFAULT_HTTP_PORT);
    public static final GatewaySelection OFF = new GatewaySelection(null, DEFAULT_HTTP_PORT);

    public GatewaySelection {
        if (controllerName != null && controllerName.isBlank()) {
            controllerName = null;
        }
        if (httpPort < 1 || httpPort > 65535) {
            throw new IllegalArgumentException("--gateway-http-port: " + httpPort + " (expected: 1..65535)");
        }
        if (httpsPort < 1 || httpsPort > 65535 || httpsPort == httpPort) {
            throw new IllegalArgumentException("--gateway-https-port: " + httpsPort + " (expected: 1..65535, not the "
                    + "--gateway-http-port " + httpPort + ")");
        }
    }

    /** With the TLS port at its default, 443 (or 8443 when the HTTP port is 443). */
    public GatewaySelection(String controllerName, int httpPort) {
        this(controllerName, httpPort, httpPort == DEFAULT_HTTPS_PORT ? 8443 : DEFAULT_HTTPS_PORT);
    }

    public boolean enabled() {
        return controllerName != null;
    }

    /** Whether {@code c} names Gatehouse as its controller. */
    public boolean ours(GatewayClass c) {
        return enabled() && c.getSpec() != null && controllerName.equals(c.getSpec().getControllerName());
    }
}
