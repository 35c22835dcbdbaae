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
        forEachCondition((object, where, c) -> {
            if (wrong(c)) {
                out.add(object + where + ": " + c.type() + "=" + (c.status() ? "True" : "False") + " " + c.reason() + ": "
                        + c.message());
            }
        });
        return out;
    }

    /** The objects without a problem, as {@code Kind/namespace/name}. */
    public List<String> accepted() {
        java.util.Set<String> all = new java.util.LinkedHashSet<>();
        java.util.Set<String> troubled = new java.util.HashSet<>();
        forEachCondition((object, where, c) -> {
            all.add(object);
            if (wrong(c)) {
                troubled.add(object);
            }
        });
        all.removeAll(troubled);
        return List.copyOf(all);
    }

    private interface ConditionVisitor {
        void visit(String object, String where, Condition c);
    }

    private void forEachCondition(ConditionVisitor v) {
        classes.forEach(c -> c.conditions().forEach(x -> v.visit(c.source().display(), "", x)));
        for (GatewayResult g : gateways) {
            g.conditions().forEach(x -> v.visit(g.source().display(), "", x));
            g.listeners().forEach(l -> l.conditions().forEach(x -> v.visit(g.source().display(), " listener " + l.name(), x)));
        }
        for (RouteResult r : routes) {
            r.parents().forEach(p -> p.conditions().forEach(x -> v.visit(r.source().display(), " parent " + p.name(), x)));
        }
    }

    private static boolean wrong(Condition c) {
        return switch (c.type()) {
            case "PartiallyInvalid", "Conflicted" -> c.status();
            default -> !c.status();
        };
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
