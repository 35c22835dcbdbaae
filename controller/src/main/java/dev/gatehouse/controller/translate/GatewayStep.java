package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.RouteFilters;
import dev.gatehouse.config.Source;
import dev.gatehouse.controller.translate.GatewayApiStatus.ClassResult;
import dev.gatehouse.controller.translate.GatewayApiStatus.Condition;
import dev.gatehouse.controller.translate.GatewayApiStatus.GatewayResult;
import dev.gatehouse.controller.translate.GatewayApiStatus.ParentResult;
import dev.gatehouse.controller.translate.GatewayApiStatus.RouteResult;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.ParentReference;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Gateway API (v1, standard channel) → snapshot routes, services and upstreams, and the status of
 * every GatewayClass, Gateway and HTTPRoute that is Gatehouse's (docs/gateway-api.md):
 * <ol>
 *   <li>GatewayClasses whose {@code controllerName} is Gatehouse's are accepted; others are ignored;</li>
 *   <li>their Gateways' listeners are checked ({@link GatewayListeners});</li>
 *   <li>HTTPRoutes, oldest first then by namespace and name (the spec's order among equal matches),
 *       attach to listeners by {@code parentRefs} (sectionName, port), {@code allowedRoutes} and
 *       hostname intersection; an attached route's rules become snapshot routes
 *       ({@link HttpRouteRules}) for the hostnames it shares with its listeners; a route attached to
 *       HTTPS listeners only answers cleartext requests with a redirect to {@code https://} (the
 *       proxy has one route table for both ports);</li>
 *   <li>programmed HTTPS listeners claim their certificates for {@link CertificateStep}.</li>
 * </ol>
 * An HTTPRoute with no parentRef to one of these Gateways is another controller's: no route and no
 * status. Runs after every other step; its ids carry a {@code #} and never collide with theirs.
 */
final class GatewayStep {
    private GatewayStep() {
    }

    /**
     * What the step decided; its status is read after {@link CertificateStep} ran, which adds notes
     * about the certificates HTTPS listeners serve.
     */
    static final class Outcome {
        static final Outcome EMPTY = new Outcome(List.of(), Map.of(), List.of());
        private final List<ClassResult> classes;
        private final Map<String, GatewayListeners> gateways;
        private final List<RouteResult> routes;

        private Outcome(List<ClassResult> classes, Map<String, GatewayListeners> gateways, List<RouteResult> routes) {
            this.classes = classes;
            this.gateways = gateways;
            this.routes = routes;
        }

        GatewayApiStatus status() {
            if (this == EMPTY) {
                return GatewayApiStatus.EMPTY;
            }
            List<GatewayResult> gatewayResults = new ArrayList<>();
            for (GatewayListeners g : gateways.values()) {
                gatewayResults.add(new GatewayResult(Sources.of(g.gateway), g.conditions,
                        g.listeners.stream().map(GatewayListeners.Entry::result).toList()));
            }
            return new GatewayApiStatus(classes, gatewayResults, routes);
        }
    }

    static Outcome run(ClusterState state, GatewaySelection selection, TlsSettings tls, TranslationContext ctx) {
        GatewayApiState in = state.gatewayApi();
        if (!selection.enabled() || in.classes().isEmpty()) {
            return Outcome.EMPTY;
        }
        List<ClassResult> classes = new ArrayList<>();
        Set<String> ours = new HashSet<>();
        List<GatewayClass> sortedClasses = new ArrayList<>(in.classes());
        sortedClasses.sort(Sources.NAME_ORDER);
        for (GatewayClass c : sortedClasses) {
            if (!selection.ours(c)) {
                continue;
            }
            ours.add(c.getMetadata().getName());
            String note = c.getSpec().getParametersRef() == null ? "" : "; spec.parametersRef is ignored (Gatehouse takes none)";
            classes.add(new ClassResult(Sources.of(c), List.of(new Condition("Accepted", true, "Accepted",
                    "served by Gatehouse: one proxy fleet serves every Gateway of this class" + note))));
        }
        Map<String, GatewayListeners> gateways = new LinkedHashMap<>();
        for (Gateway g : ctx.sorted(in.gateways())) {
            if (g.getSpec() != null && ours.contains(g.getSpec().getGatewayClassName())) {
                gateways.put(Sources.key(g), new GatewayListeners(g, selection, state, tls, ctx));
            }
        }
        List<RouteResult> routes = new ArrayList<>();
        HttpRouteExtensions extensions = new HttpRouteExtensions(in, ctx.consumers, ctx.upstreams);
        List<HTTPRoute> sortedRoutes = new ArrayList<>(in.httpRoutes());
        sortedRoutes.sort(Sources.CREATION_ORDER);
        for (HTTPRoute r : sortedRoutes) {
            RouteResult result = route(r, gateways, state, ctx, extensions, selection);
            if (result != null) {
                routes.add(result);
            }
        }
        routes.sort((a, b) -> a.source().key().compareTo(b.source().key()));
        for (GatewayListeners g : gateways.values()) {
            for (GatewayListeners.Entry e : g.listeners) {
                claimCertificate(g, e, ctx);
            }
        }
        return new Outcome(classes, gateways, routes);
    }

    /**
     * A programmed HTTPS listener's claim on its Secret, after the routes attached: with a hostname,
     * for that hostname; without one, for the hostnames of its routes, and as a fallback candidate.
     */
    private static void claimCertificate(GatewayListeners g, GatewayListeners.Entry e, TranslationContext ctx) {
        if (!e.usable || e.certificate == null) {
            return;
        }
        e.certificateNotes = new ObjectReport(Sources.of(g.gateway));
        List<String> hosts = e.hostname != null ? List.of(e.hostname.toLowerCase(java.util.Locale.ROOT))
                : e.routeHosts.stream().distinct().sorted().toList();
        ctx.tlsClaims.add(new TranslationContext.TlsClaim(e.certificateNotes, e.certificate.field(), e.certificate.namespace(),
                e.certificate.secretName(), hosts, List.of(), e.hostname != null ? TranslationContext.Scope.LISTENER
                : TranslationContext.Scope.LISTENER_ANY_HOST));
    }

    /**
     * A redirect with neither scheme nor port keeps the port of the listener the request came through (the
     * spec's rule): the proxy Service's HTTP port for cleartext, its TLS port over TLS; nothing to add when
     * they are 80 and 443, which the scheme implies.
     */
    static Route listenerPorts(Route r, GatewaySelection selection) {
        RouteFilters f = r.filters();
        if (f == null || f.redirect() == null || f.redirect().scheme() != null || f.redirect().port() != null
                || (selection.httpPort() == GatewaySelection.DEFAULT_HTTP_PORT
                && selection.httpsPort() == GatewaySelection.DEFAULT_HTTPS_PORT)) {
            return r;
        }
        RouteFilters.Redirect rd = f.redirect().withListenerPorts(
                selection.httpPort() == GatewaySelection.DEFAULT_HTTP_PORT ? null : selection.httpPort(),
                selection.httpsPort() == GatewaySelection.DEFAULT_HTTPS_PORT ? null : selection.httpsPort());
        return new Route(r.id(), r.source(), r.service(), r.hosts(), r.paths(), r.methods(), r.headers(), r.stripPath(),
                r.preserveHost(), r.priority(), r.keyAuth(), r.maxBodySize(), r.allowEncodedSlashes(), r.httpsRedirect(),
                r.websocketIdleTimeoutMillis(), r.queryParams(), new RouteFilters(f.request(), f.response(), rd, f.fullPath()),
                r.directStatus(), r.directShare());
    }

    /** One parentRef that names a Gateway of ours, and the listeners it attached to. */
    private record Parent(ParentReference ref, List<GatewayListeners.Entry> attached, Condition accepted) {
    }

    private static RouteResult route(HTTPRoute r, Map<String, GatewayListeners> gateways, ClusterState state,
                                     TranslationContext ctx, HttpRouteExtensions extensions, GatewaySelection selection) {
        Source source = Sources.of(r);
        List<ParentReference> refs = r.getSpec() == null || r.getSpec().getParentRefs() == null
                ? List.of() : r.getSpec().getParentRefs();
        List<String> hostnames = r.getSpec() == null || r.getSpec().getHostnames() == null ? List.of()
                : r.getSpec().getHostnames().stream().filter(h -> h != null && !h.isEmpty()).toList();
        List<Parent> parents = new ArrayList<>();
        List<List<String>> hostSets = new ArrayList<>();
        for (ParentReference ref : refs) {
            String group = Objects.requireNonNullElse(ref.getGroup(), ReferenceGrants.GATEWAY_GROUP);
            String kind = Objects.requireNonNullElse(ref.getKind(), "Gateway");
            String ns = ref.getNamespace() == null || ref.getNamespace().isEmpty() ? source.namespace() : ref.getNamespace();
            GatewayListeners g = gateways.get(ns + "/" + ref.getName());
            if (!group.equals(ReferenceGrants.GATEWAY_GROUP) || !kind.equals("Gateway") || g == null) {
                continue; // not a Gateway of ours: another controller's parent, left alone
            }
            parents.add(attach(ref, g, source.namespace(), hostnames, state, hostSets));
        }
        if (parents.isEmpty()) {
            return null;
        }
        // served: attached to a listener that is programmed (one whose certificate does not resolve counts the
        // route as attached, as the spec asks, but serves nothing)
        boolean attached = parents.stream().anyMatch(p -> p.attached().stream().anyMatch(e -> e.usable));
        RouteProblems problems = new RouteProblems();
        List<String> hosts = attached ? GatewayHostnames.union(hostSets) : List.of();
        List<Route> made = HttpRouteRules.translate(r, source, hosts, state, attached ? ctx : new TranslationContext(), problems,
                extensions);
        if (attached && !made.isEmpty()) {
            // attached to HTTPS listeners only: a cleartext request is sent to https:// (308), never served
            boolean tlsOnly = parents.stream().allMatch(p -> p.attached().stream().filter(e -> e.usable)
                    .allMatch(GatewayListeners.Entry::https));
            made.forEach(m -> ctx.routes.add(listenerPorts(tlsOnly ? m.withHttpsRedirect(true) : m, selection)));
        }
        if (!made.isEmpty()) {
            parents.forEach(p -> p.attached().forEach(e -> e.attached++));
        }
        List<ParentResult> results = new ArrayList<>();
        for (Parent p : parents) {
            Condition accepted = p.accepted();
            if (accepted.status() && made.isEmpty()) {
                accepted = new Condition("Accepted", false, "UnsupportedValue", "no rule can be served: "
                        + problems.unsupportedText());
            }
            List<Condition> conditions = new ArrayList<>(List.of(accepted, problems.resolvedRefs()));
            Condition partial = problems.partiallyInvalid();
            if (partial != null && accepted.status()) {
                conditions.add(partial);
            }
            ParentReference ref = p.ref();
            results.add(new ParentResult(Objects.requireNonNullElse(ref.getGroup(), ReferenceGrants.GATEWAY_GROUP),
                    Objects.requireNonNullElse(ref.getKind(), "Gateway"), ref.getNamespace(), ref.getName(),
                    ref.getSectionName(), ref.getPort(), conditions));
        }
        return new RouteResult(source, results);
    }

    /** Which listeners of {@code g} the parentRef attaches the route to, and its Accepted condition. */
    private static Parent attach(ParentReference ref, GatewayListeners g, String routeNamespace, List<String> hostnames,
                                 ClusterState state, List<List<String>> hostSets) {
        String section = ref.getSectionName();
        List<GatewayListeners.Entry> named = g.listeners.stream()
                .filter(e -> section == null || section.isEmpty() || section.equals(e.name))
                .filter(e -> ref.getPort() == null || ref.getPort().equals(e.port)).toList();
        String gw = "Gateway " + g.key;
        if (named.isEmpty()) {
            return new Parent(ref, List.of(), new Condition("Accepted", false, "NoMatchingParent", gw + " has no listener"
                    + (section == null ? "" : " named " + section) + (ref.getPort() == null ? "" : " on port " + ref.getPort())));
        }
        // a listener whose certificate does not resolve takes routes (they count in attachedRoutes) but serves none
        List<GatewayListeners.Entry> usable = named.stream().filter(e -> e.usable || e.certificateProblem).toList();
        if (usable.isEmpty()) {
            return new Parent(ref, List.of(), new Condition("Accepted", false, "NoMatchingParent", gw + ": no listener "
                    + "can take routes: " + String.join("; ", named.stream().map(e -> e.name + ": " + e.notUsable).toList())));
        }
        List<GatewayListeners.Entry> allowed = usable.stream()
                .filter(e -> e.supportedKinds.contains(GatewayListeners.HTTP_ROUTE))
                .filter(e -> g.allows(e, routeNamespace, state.gatewayApi())).toList();
        if (allowed.isEmpty()) {
            return new Parent(ref, List.of(), new Condition("Accepted", false, "NotAllowedByListeners", gw + ": the "
                    + "allowedRoutes of its listeners do not admit HTTPRoutes of namespace " + routeNamespace));
        }
        List<GatewayListeners.Entry> attached = new ArrayList<>();
        for (GatewayListeners.Entry e : allowed) {
            List<String> common = GatewayHostnames.intersect(e.hostname, hostnames);
            if (common != null) {
                attached.add(e);
                if (e.usable) {
                    hostSets.add(common);
                    e.routeHosts.addAll(common);
                }
            }
        }
        if (attached.isEmpty()) {
            return new Parent(ref, List.of(), new Condition("Accepted", false, "NoMatchingListenerHostname", gw + ": "
                    + "spec.hostnames " + hostnames + " share no hostname with its listeners "
                    + allowed.stream().map(e -> e.name + " (" + (e.hostname == null ? "any host" : e.hostname) + ")").toList()));
        }
        List<String> waiting = attached.stream().filter(e -> !e.usable).map(e -> e.name + " (" + e.notUsable + ")").toList();
        return new Parent(ref, attached, new Condition("Accepted", true, "Accepted", "accepted by " + gw + " on listener"
                + (attached.size() == 1 ? " " : "s ") + String.join(", ", attached.stream().map(e -> e.name).toList())
                + (waiting.isEmpty() ? "" : "; not served on " + String.join(", ", waiting) + " until it is programmed")));
    }
}
