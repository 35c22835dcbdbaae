package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.RouteFilters;
import dev.gatehouse.controller.files.ManifestReader;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Gateway API's RequestRedirect port: with neither scheme nor port the listener's port is kept, so
 * a fleet behind proxy Service ports other than 80/443 redirects to those ports; a scheme or a port in
 * the filter decides alone.
 */
class GatewayRedirectPortTest {
    static final String YAML = """
            apiVersion: gateway.networking.k8s.io/v1
            kind: GatewayClass
            metadata: {name: gatehouse}
            spec: {controllerName: gatehouse.dev/gateway-controller}
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: web}
            spec:
              gatewayClassName: gatehouse
              listeners: [{name: http, protocol: HTTP, port: PORT}]
            ---
            apiVersion: gateway.networking.k8s.io/v1
            kind: HTTPRoute
            metadata: {name: moved}
            spec:
              parentRefs: [{name: web}]
              rules:
                - matches: [{path: {type: PathPrefix, value: /keep}}]
                  filters: [{type: RequestRedirect, requestRedirect: {path: {type: ReplaceFullPath, replaceFullPath: /new}}}]
                - matches: [{path: {type: PathPrefix, value: /scheme}}]
                  filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}]
                - matches: [{path: {type: PathPrefix, value: /port}}]
                  filters: [{type: RequestRedirect, requestRedirect: {port: 9000}}]
            """;

    private static RouteFilters.Redirect redirect(GatewaySelection selection, String path) {
        var objects = ManifestReader.read("t.yaml", YAML.replace("PORT", String.valueOf(selection.httpPort()))).objects();
        Translation t = Translator.translate(ManifestReader.state(objects), IngressSelection.DEFAULT, selection,
                new TlsSettings(null, Instant.parse("2026-01-01T00:00:00Z")));
        Route r = t.snapshot().routes().stream().filter(x -> x.paths().contains(path)).findFirst().orElseThrow();
        return r.filters().redirect();
    }

    @Test
    void withoutSchemeAndPortTheProxyServicePortsAreKept() {
        GatewaySelection custom = new GatewaySelection(GatewaySelection.DEFAULT_CONTROLLER, 8080, 8443);
        RouteFilters.Redirect keep = redirect(custom, "/keep");
        assertThat(keep.listenerPort()).isEqualTo(8080);
        assertThat(keep.tlsListenerPort()).isEqualTo(8443);
        assertThat(keep.port()).isNull();
        RouteFilters.Redirect scheme = redirect(custom, "/scheme");
        assertThat(scheme.listenerPort()).as("a scheme: its well-known port").isNull();
        assertThat(scheme.tlsListenerPort()).isNull();
        RouteFilters.Redirect port = redirect(custom, "/port");
        assertThat(port.port()).isEqualTo(9000);
        assertThat(port.listenerPort()).isNull();
    }

    @Test
    void onlyTheNonDefaultPortIsCarried() {
        RouteFilters.Redirect keep = redirect(new GatewaySelection(GatewaySelection.DEFAULT_CONTROLLER, 8080), "/keep");
        assertThat(keep.listenerPort()).isEqualTo(8080);
        assertThat(keep.tlsListenerPort()).as("443: implied by https").isNull();
        RouteFilters.Redirect defaults = redirect(GatewaySelection.DEFAULT, "/keep");
        assertThat(defaults.listenerPort()).isNull();
        assertThat(defaults.tlsListenerPort()).isNull();
    }
}
