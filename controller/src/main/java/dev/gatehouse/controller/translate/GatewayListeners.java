package dev.gatehouse.controller.translate;

import dev.gatehouse.controller.translate.GatewayApiStatus.Condition;
import dev.gatehouse.controller.translate.GatewayApiStatus.ListenerResult;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.RouteGroupKind;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The listeners of one Gateway of Gatehouse's class, checked against what the proxy fleet can
 * serve (one fleet for every Gateway, see {@link GatewaySelection}):
 * <ul>
 *   <li>{@code HTTP} on the proxy Service's HTTP port: programmed;</li>
 *   <li>{@code HTTP} on another port: {@code Accepted=False, PortUnavailable} (no proxy listens there);</li>
 *   <li>{@code HTTPS} on the proxy Service's TLS port, {@code tls.mode: Terminate}, with
 *       {@code certificateRefs} that resolve ({@link ListenerCertificates}): programmed, its
 *       certificate served on the proxy's TLS port for its hostname (see {@link CertificateStep});
 *       a reference that does not resolve: {@code ResolvedRefs=False} ({@code InvalidCertificateRef},
 *       {@code RefNotPermitted}), {@code Programmed=False, Invalid}, no route attaches;
 *       {@code Passthrough}: {@code Accepted=False, UnsupportedProtocol};</li>
 *   <li>{@code HTTPS} on another port: {@code Accepted=False, PortUnavailable};</li>
 *   <li>{@code TLS}, {@code TCP}, {@code UDP}: {@code Accepted=False, UnsupportedProtocol}.</li>
 * </ul>
 * A Gateway with {@code spec.infrastructure.parametersRef} is refused ({@code Accepted=False,
 * InvalidParameters}): Gatehouse takes no parameters.
 * Listeners that are not distinct ({@link GatewayListenerConflicts}) are all refused,
 * {@code Conflicted=True} with {@code HostnameConflict} or {@code ProtocolConflict}.
 * {@code allowedRoutes.kinds} other than HTTPRoute make {@code ResolvedRefs=False, InvalidRouteKinds};
 * {@code allowedRoutes.namespaces} ({@code Same}, the default; {@code All}; {@code Selector} over
 * the Namespace's labels) decide which routes may attach.
 */
final class GatewayListeners {
    static final String HTTP_ROUTE = "HTTPRoute";
    /** Every Namespace carries it (set by the API server since Kubernetes 1.22). */
    static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

    /** One listener and what the routes found attached to it. */
    static final class Entry {
        final String name;
        final Integer port;
        final String protocol;
        final String hostname;
        final Listener spec;
        final List<Condition> conditions = new ArrayList<>();
        final List<String> supportedKinds = new ArrayList<>();
        /** Routes may attach and are served: accepted, HTTP, on the proxy's port. */
        boolean usable;
        /** Why it is not usable, for route status messages. */
        String notUsable;
        int attached;
        /** HTTPS: accepted, but a certificateRef does not resolve. */
        boolean certificateProblem;
        /** HTTPS and fine: the Secret it serves. */
        ListenerCertificates.Checked certificate;
        /** HTTPS: the hostnames of the routes attached, for a listener without hostname. */
        final List<String> routeHosts = new ArrayList<>();
        /** HTTPS: notes about its served certificate (hosts it does not cover, expiry), by {@link CertificateStep}. */
        ObjectReport certificateNotes;

        Entry(Listener l) {
            this.spec = l;
            this.name = Objects.requireNonNullElse(l.getName(), "");
            this.port = l.getPort();
            this.protocol = Objects.requireNonNullElse(l.getProtocol(), "");
            this.hostname = l.getHostname() == null || l.getHostname().isEmpty() ? null : l.getHostname();
        }

        boolean https() {
            return protocol.equals("HTTPS");
        }

        /** The listener's status; notes about its certificate ride on its ResolvedRefs=True message. */
        ListenerResult result() {
            List<String> notes = certificateNotes == null ? List.of()
                    : certificateNotes.toStatus().warnings().stream().map(w -> w.message()).toList();
            if (notes.isEmpty()) {
                return new ListenerResult(name, supportedKinds, attached, conditions);
            }
            List<Condition> out = new ArrayList<>(conditions);
            out.replaceAll(c -> c.type().equals("ResolvedRefs") && c.status()
                    ? new Condition(c.type(), true, c.reason(), c.message() + "; " + String.join("; ", notes)) : c);
            return new ListenerResult(name, supportedKinds, attached, out);
        }
    }

    final Gateway gateway;
    final String key;
    final List<Entry> listeners = new ArrayList<>();
    final List<Condition> conditions = new ArrayList<>();
    final boolean accepted;

    GatewayListeners(Gateway gateway, GatewaySelection selection, ClusterState state, TlsSettings tls, TranslationContext ctx) {
        this.gateway = gateway;
        this.key = Sources.key(gateway);
        List<Listener> specs = gateway.getSpec() == null || gateway.getSpec().getListeners() == null
                ? List.of() : gateway.getSpec().getListeners();
        int usable = 0;
        int served = 0;
        List<String> refused = new ArrayList<>();
        List<String> waiting = new ArrayList<>();
        Map<Integer, Condition> conflicts = GatewayListenerConflicts.of(specs);
        for (int i = 0; i < specs.size(); i++) {
            Listener l = specs.get(i);
            Condition conflict = conflicts.get(i);
            Entry e = conflict != null ? conflicted(new Entry(l), conflict) : check(new Entry(l), selection, state, tls, ctx);
            listeners.add(e);
            if (e.usable || e.certificateProblem) {
                usable++;
            }
            if (e.usable) {
                served++;
            } else {
                (e.certificateProblem ? waiting : refused).add(e.name + ": " + e.notUsable);
            }
        }
        boolean addresses = gateway.getSpec() != null && gateway.getSpec().getAddresses() != null
                && !gateway.getSpec().getAddresses().isEmpty();
        var infrastructure = gateway.getSpec() == null ? null : gateway.getSpec().getInfrastructure();
        if (infrastructure != null && infrastructure.getParametersRef() != null) {
            var ref = infrastructure.getParametersRef();
            accepted = false;
            conditions.add(new Condition("Accepted", false, "InvalidParameters", "spec.infrastructure.parametersRef: "
                    + Objects.requireNonNullElse(ref.getGroup(), "") + "/" + ref.getKind() + " \"" + ref.getName() + "\" is "
                    + "not taken: Gatehouse's Gateways have no parameters (expected: no parametersRef)"));
            conditions.add(new Condition("Programmed", false, "Invalid", "not programmed: the Gateway is not accepted"));
        } else if (addresses) {
            accepted = false;
            conditions.add(new Condition("Accepted", false, "UnsupportedAddress", "spec.addresses: Gatehouse does not assign "
                    + "addresses per Gateway; every Gateway of the class is served by the one proxy fleet at the proxy "
                    + "Service's address (expected: no spec.addresses)"));
            conditions.add(new Condition("Programmed", false, "AddressNotAssigned", "spec.addresses cannot be assigned"));
        } else if (usable == 0) {
            accepted = false;
            conditions.add(new Condition("Accepted", false, "ListenersNotValid", specs.isEmpty()
                    ? "spec.listeners: none (expected: at least one HTTP listener)"
                    : "no listener can be served: " + String.join("; ", refused)));
            conditions.add(new Condition("Programmed", false, "Invalid", "no listener can be served"));
        } else {
            accepted = true;
            // the spec: Accepted stays True with reason ListenersNotValid while some listeners are invalid
            // (refused, or an HTTPS listener whose certificateRefs do not resolve)
            List<String> notServed = new ArrayList<>(refused);
            notServed.addAll(waiting);
            String message = notServed.isEmpty() ? "accepted" : "accepted; listeners not served: " + String.join("; ", notServed);
            conditions.add(new Condition("Accepted", true, notServed.isEmpty() ? "Accepted" : "ListenersNotValid", message));
            conditions.add(served > 0 || waiting.isEmpty() ? new Condition("Programmed", true, "Programmed", "in the snapshot")
                    : new Condition("Programmed", false, "Invalid", "no listener can be served: " + String.join("; ", waiting)));
        }
        if (!accepted) {
            for (Entry e : listeners) {
                e.usable = false;
                if (e.notUsable == null) {
                    e.notUsable = "the Gateway is not accepted";
                }
                e.conditions.replaceAll(c -> c.type().equals("Programmed") && c.status()
                        ? new Condition("Programmed", false, "Invalid", "not programmed: the Gateway is not accepted") : c);
            }
        }
    }

    private Entry check(Entry e, GatewaySelection selection, ClusterState state, TlsSettings tls, TranslationContext ctx) {
        boolean kindsOk = kinds(e);
        switch (e.protocol) {
            case "HTTP" -> {
                if (e.port == null || e.port != selection.httpPort()) {
                    portUnavailable(e, "HTTP", selection.httpPort(), "--gateway-http-port");
                } else {
                    programmed(e, kindsOk);
                }
            }
            case "HTTPS" -> {
                if (e.port == null || e.port != selection.httpsPort()) {
                    portUnavailable(e, "TLS", selection.httpsPort(), "--gateway-https-port");
                    break;
                }
                ListenerCertificates.Checked c = ListenerCertificates.check(gateway, e.spec, state, tls, ctx);
                if (c.unsupported() != null) {
                    unsupported(e, c.unsupported());
                } else if (c.refused() != null) {
                    e.certificateProblem = true;
                    e.notUsable = c.refused().message();
                    e.conditions.add(new Condition("Accepted", true, "Accepted", "accepted"));
                    e.conditions.add(c.refused());
                    e.conditions.add(new Condition("Programmed", false, "Invalid", "not programmed: " + e.notUsable));
                } else {
                    e.certificate = c;
                    programmed(e, kindsOk);
                }
            }
            default -> unsupported(e, "protocol \"" + e.protocol + "\" is not supported (expected: HTTP or HTTPS)");
        }
        e.conditions.add(new Condition("Conflicted", false, "NoConflicts", "no conflicts"));
        return e;
    }

    /** A listener that is not distinct from another: none of them is accepted, as the spec asks. */
    private static Entry conflicted(Entry e, Condition conflict) {
        kinds(e);
        e.notUsable = conflict.message();
        e.conditions.add(new Condition("Accepted", false, conflict.reason(), "not accepted: " + conflict.message()));
        e.conditions.add(new Condition("ResolvedRefs", true, "ResolvedRefs", "no references checked"));
        e.conditions.add(new Condition("Programmed", false, "Invalid", "not programmed: the listener is conflicted"));
        e.conditions.add(conflict);
        return e;
    }

    private static void portUnavailable(Entry e, String which, int port, String flag) {
        e.notUsable = "port " + e.port + " is not served: one proxy fleet serves every Gateway of the class, and its "
                + which + " port is " + port + " (expected: port " + port + ", the proxy Service's " + which + " port, " + flag + ")";
        e.conditions.add(new Condition("Accepted", false, "PortUnavailable", e.notUsable));
        e.conditions.add(new Condition("ResolvedRefs", true, "ResolvedRefs", "no references"));
        e.conditions.add(new Condition("Programmed", false, "Invalid", "not programmed: the listener is not accepted"));
    }

    private static void unsupported(Entry e, String why) {
        e.notUsable = why;
        e.supportedKinds.clear();
        e.conditions.add(new Condition("Accepted", false, "UnsupportedProtocol", e.notUsable));
        e.conditions.add(new Condition("ResolvedRefs", true, "ResolvedRefs", "no references"));
        e.conditions.add(new Condition("Programmed", false, "Invalid", "not programmed: the listener is not accepted"));
    }

    private static void programmed(Entry e, boolean kindsOk) {
        e.conditions.add(new Condition("Accepted", true, "Accepted", "accepted"));
        String resolved = e.certificate == null || e.certificate.ignored() == 0 ? "all references resolved"
                : "all references resolved; only " + e.certificate.field() + " is served, "
                + (e.certificate.ignored() == 1 ? "the other one is" : "the other " + e.certificate.ignored() + " are")
                + " checked but not served (one certificate per name)";
        e.conditions.add(kindsOk ? new Condition("ResolvedRefs", true, "ResolvedRefs", resolved)
                : new Condition("ResolvedRefs", false, "InvalidRouteKinds", kindsProblem(e)));
        e.conditions.add(new Condition("Programmed", true, "Programmed", "in the snapshot"));
        e.usable = !e.supportedKinds.isEmpty();
        if (!e.usable) {
            e.notUsable = kindsProblem(e);
        }
    }

    /** Fills the supported kinds; false when a kind other than HTTPRoute was asked for. */
    private static boolean kinds(Entry e) {
        List<RouteGroupKind> asked = e.spec.getAllowedRoutes() == null || e.spec.getAllowedRoutes().getKinds() == null
                ? List.of() : e.spec.getAllowedRoutes().getKinds();
        if (asked.isEmpty()) {
            e.supportedKinds.add(HTTP_ROUTE);
            return true;
        }
        boolean ok = true;
        for (RouteGroupKind k : asked) {
            String group = k.getGroup() == null ? ReferenceGrants.GATEWAY_GROUP : k.getGroup();
            if (ReferenceGrants.GATEWAY_GROUP.equals(group) && HTTP_ROUTE.equals(k.getKind())) {
                if (!e.supportedKinds.contains(HTTP_ROUTE)) {
                    e.supportedKinds.add(HTTP_ROUTE);
                }
            } else {
                ok = false;
            }
        }
        return ok;
    }

    private static String kindsProblem(Entry e) {
        return "allowedRoutes.kinds: only HTTPRoute (gateway.networking.k8s.io) is supported"
                + (e.supportedKinds.isEmpty() ? "; no route can attach to this listener" : "; the other kinds are ignored");
    }

    /** Whether the listener lets a route of {@code namespace} attach ({@code allowedRoutes.namespaces}). */
    boolean allows(Entry e, String namespace, GatewayApiState state) {
        var ns = e.spec.getAllowedRoutes() == null ? null : e.spec.getAllowedRoutes().getNamespaces();
        String from = ns == null || ns.getFrom() == null ? "Same" : ns.getFrom();
        return switch (from) {
            case "All" -> true;
            case "Selector" -> ns.getSelector() != null && selects(ns.getSelector(), labels(namespace, state));
            default -> namespace.equals(Sources.namespace(gateway));
        };
    }

    private static Map<String, String> labels(String namespace, GatewayApiState state) {
        Map<String, String> labels = new HashMap<>();
        for (Namespace n : state.namespaces()) {
            if (namespace.equals(n.getMetadata().getName()) && n.getMetadata().getLabels() != null) {
                labels.putAll(n.getMetadata().getLabels());
            }
        }
        labels.put(NAMESPACE_NAME_LABEL, namespace);
        return labels;
    }

    /** metav1.LabelSelector: every matchLabels entry and every matchExpressions requirement holds. */
    static boolean selects(LabelSelector s, Map<String, String> labels) {
        if (s.getMatchLabels() != null) {
            for (var m : s.getMatchLabels().entrySet()) {
                if (!Objects.equals(labels.get(m.getKey()), m.getValue())) {
                    return false;
                }
            }
        }
        for (LabelSelectorRequirement r : Objects.requireNonNullElse(s.getMatchExpressions(), List.<LabelSelectorRequirement>of())) {
            String v = labels.get(r.getKey());
            List<String> values = Objects.requireNonNullElse(r.getValues(), List.of());
            boolean holds = switch (Objects.requireNonNullElse(r.getOperator(), "")) {
                case "In" -> v != null && values.contains(v);
                case "NotIn" -> v == null || !values.contains(v);
                case "Exists" -> v != null;
                case "DoesNotExist" -> v == null;
                default -> false;
            };
            if (!holds) {
                return false;
            }
        }
        return true;
    }
}
