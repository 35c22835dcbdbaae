package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Source;

import java.util.List;
import java.util.Objects;

/**
 * What the translator decided about the Gateway API objects it owns, in the shape their status
 * takes (gateway.networking.k8s.io/v1), without the clock and generation fields the status
 * writer adds. Objects of other controllers never appear here. Sorted by namespace and name.
 *
 * @param classes  the GatewayClasses whose {@code controllerName} is Gatehouse's
 * @param gateways the Gateways of those classes
 * @param routes   the HTTPRoutes with at least one parentRef to such a Gateway; their {@code parents}
 *                 list only those parentRefs (another controller's entries are left alone)
 */
public record GatewayApiStatus(List<ClassResult> classes, List<GatewayResult> gateways, List<RouteResult> routes) {
    public static final GatewayApiStatus EMPTY = new GatewayApiStatus(List.of(), List.of(), List.of());

    public GatewayApiStatus {
        classes = List.copyOf(classes);
        gateways = List.copyOf(gateways);
        routes = List.copyOf(routes);
    }

    /**
     * What a user must look at, one line each ({@code Kind/namespace/name[ where]: Type=status reason: message}):
     * a condition that says something is wrong ({@code Accepted}, {@code ResolvedRefs} or {@code Programmed}
     * False, {@code PartiallyInvalid} or {@code Conflicted} True). Empty when everything is served as written.
     */
    public List<String> problems() {
        List<String> out = new java.util.ArrayList<>();
        classes.forEach(c -> problems(c.source().display(), c.conditions(), out));
        for (GatewayResult g : gateways) {
            problems(g.source().display(), g.conditions(), out);
            g.listeners().forEach(l -> problems(g.source().display() + " listener " + l.name(), l.conditions(), out));
        }
        for (RouteResult r : routes) {
            r.parents().forEach(p -> problems(r.source().display() + " parent " + p.name(), p.conditions(), out));
        }
        return out;
    }

    /** The objects with no problem, as {@code Kind/namespace/name}. */
    public List<String> accepted() {
        List<String> out = new java.util.ArrayList<>();
        java.util.Set<String> troubled = new java.util.HashSet<>();
        problems().forEach(p -> troubled.add(p.substring(0, p.indexOf(p.contains(" listener ") ? " listener "
                : p.contains(" parent ") ? " parent " : ":"))));
        classes.forEach(c -> out.add(c.source().display()));
        gateways.forEach(g -> out.add(g.source().display()));
        routes.forEach(r -> out.add(r.source().display()));
        out.removeIf(troubled::contains);
        return out;
    }

    private static void problems(String where, List<Condition> conditions, List<String> out) {
        for (Condition c : conditions) {
            boolean bad = switch (c.type()) {
                case "PartiallyInvalid", "Conflicted" -> c.status();
                default -> !c.status();
            };
            if (bad) {
                out.add(where + ": " + c.type() + "=" + (c.status() ? "True" : "False") + " " + c.reason() + ": " + c.message());
            }
        }
    }

    /**
     * A Gateway API condition; its reasons are the spec's strings ({@code NoMatchingParent},
     * {@code PortUnavailable}, …) or Gatehouse's own where the spec has none, each listed in
     * docs/gateway-api.md.
     */
    public record Condition(String type, boolean status, String reason, String message) {
        public Condition {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(message, "message");
        }
    }

    public record ClassResult(Source source, List<Condition> conditions) {
        public ClassResult {
            conditions = List.copyOf(conditions);
        }
    }

    /**
     * @param listeners one per listener, in the Gateway's order
     */
    public record GatewayResult(Source source, List<Condition> conditions, List<ListenerResult> listeners) {
        public GatewayResult {
            conditions = List.copyOf(conditions);
            listeners = List.copyOf(listeners);
        }
    }

    /**
     * @param supportedKinds route kinds the listener takes ({@code HTTPRoute} or none)
     * @param attachedRoutes HTTPRoutes accepted on this listener
     */
    public record ListenerResult(String name, List<String> supportedKinds, int attachedRoutes, List<Condition> conditions) {
        public ListenerResult {
            supportedKinds = List.copyOf(supportedKinds);
            conditions = List.copyOf(conditions);
        }
    }

    public record RouteResult(Source source, List<ParentResult> parents) {
        public RouteResult {
            parents = List.copyOf(parents);
        }
    }

    /**
     * One {@code status.parents[]} entry: the parentRef as written (defaults filled in, as the
     * API server would), and Accepted, ResolvedRefs and, when some rules are left out,
     * PartiallyInvalid.
     */
    public record ParentResult(String group, String kind, String namespace, String name, String sectionName, Integer port,
                               List<Condition> conditions) {
        public ParentResult {
            conditions = List.copyOf(conditions);
        }
    }
}
