package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.Source;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPath;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.IngressSpec;
import io.fabric8.kubernetes.api.model.networking.v1.IngressTLS;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Ingresses of Gatehouse's class ({@link IngressSelection}) → snapshot routes, with the
 * semantics the Kubernetes API documents for networking.k8s.io/v1 (docs/ingress.md):
 * <ul>
 *   <li>one route per path, id {@code namespace/name#rules[i].paths[j]}, in the order of the
 *       Ingresses' creation, after every GatewayRoute;</li>
 *   <li>{@code Exact} → an exact path ({@code =/a}); {@code Prefix} → a segment prefix with a
 *       trailing {@code /} dropped ({@code /a/} is {@code /a}); {@code ImplementationSpecific} →
 *       Gatehouse's prefix as written (a trailing {@code /} means "below it only", as in a
 *       GatewayRoute);</li>
 *   <li>host {@code *.example.com} → {@code +.example.com}, one DNS label; no host → any host;</li>
 *   <li>{@code spec.defaultBackend} → a route with no host and no path, the least specific there
 *       is, so it takes what nothing else matches;</li>
 *   <li>the path is forwarded unchanged unless {@code gatehouse.dev/strip-path: "true"};</li>
 *   <li>{@code spec.tls} names the certificate for its hosts ({@link #tls}), and
 *       {@code gatehouse.dev/https-redirect: "true"} redirects every route of the Ingress to https.</li>
 * </ul>
 * A part that cannot be used (a path, a host, a backend, an annotation) is a warning naming its
 * field; the rest of the Ingress is served. The same host and path twice (across Ingresses, or
 * against a GatewayRoute): the one first in snapshot order wins, the other is a Conflict warning.
 */
final class IngressStep {
    private static final Pattern HOST = Pattern.compile(dev.gatehouse.api.v1alpha1.Schema.HOST);

    private IngressStep() {
    }

    static void run(ClusterState state, IngressSelection selection, TranslationContext ctx) {
        if (state.ingresses().isEmpty() || !selection.enabled()) {
            return;
        }
        List<Ingress> ingresses = new ArrayList<>(state.ingresses());
        ingresses.sort(Sources.CREATION_ORDER);
        Map<String, String> owners = new HashMap<>();
        for (Route r : ctx.routes) {
            owners.putIfAbsent(RouteStep.matchKey(r), r.source() == null ? r.id() : r.source().display());
        }
        for (Ingress ingress : ingresses) {
            if (selection.takes(ingress, state.ingressClasses())) {
                translate(ingress, state, ctx, owners);
            }
        }
    }

    private static void translate(Ingress ingress, ClusterState state, TranslationContext ctx, Map<String, String> owners) {
        ObjectReport report = ctx.report(ingress);
        Source source = report.source;
        IngressSettings settings = IngressSettings.read(ingress.getMetadata().getAnnotations(), report);
        IngressSpec spec = ingress.getSpec();
        if (spec == null || (Objects.requireNonNullElse(spec.getRules(), List.<IngressRule>of()).isEmpty()
                && spec.getDefaultBackend() == null)) {
            report.warn(Reason.Invalid, "spec", "neither rules nor defaultBackend, nothing to serve (expected: at least one)");
            return;
        }
        IngressBackends backends = new IngressBackends(state, ctx, report, settings);
        int firstRoute = ctx.routes.size();
        List<IngressRule> rules = Objects.requireNonNullElse(spec.getRules(), List.of());
        for (int i = 0; i < rules.size(); i++) {
            IngressRule rule = rules.get(i);
            String field = "spec.rules[" + i + "]";
            List<String> hosts = hosts(rule.getHost(), field + ".host", report);
            if (hosts == null || rule.getHttp() == null) {
                continue;
            }
            List<HTTPIngressPath> paths = Objects.requireNonNullElse(rule.getHttp().getPaths(), List.of());
            for (int j = 0; j < paths.size(); j++) {
                HTTPIngressPath p = paths.get(j);
                String pathField = field + ".http.paths[" + j + "]";
                String path = routePath(p, pathField, report);
                if (path == null) {
                    continue;
                }
                String service = backends.resolve(p.getBackend(), pathField + ".backend");
                add(new Route(source.key() + "#rules[" + i + "].paths[" + j + "]", source, service, hosts, List.of(path),
                        List.of(), Map.of(), settings.stripPath(), settings.preserveHost(), 0, settings.keyAuth(), null, false,
                        settings.httpsRedirect(), null),
                        pathField, report, ctx, owners);
            }
        }
        if (spec.getDefaultBackend() != null) {
            String service = backends.resolve(spec.getDefaultBackend(), "spec.defaultBackend");
            add(new Route(source.key() + "#defaultBackend", source, service, List.of(), List.of(), List.of(), Map.of(),
                    settings.stripPath(), settings.preserveHost(), 0, settings.keyAuth(), null, false, settings.httpsRedirect(), null),
                    "spec.defaultBackend", report, ctx, owners);
        }
        tls(spec, firstRoute, report, ctx);
    }

    private static void add(Route route, String field, ObjectReport report, TranslationContext ctx, Map<String, String> owners) {
        String owner = owners.putIfAbsent(RouteStep.matchKey(route), report.source.display() + " " + field);
        if (owner != null) {
            report.warn(Reason.Conflict, field, "the same host and path as " + owner + ", which wins (GatewayRoutes come "
                    + "first, then Ingresses oldest first, each in the order of its paths); this one is not served "
                    + "(expected: each host and path once)");
            return;
        }
        ctx.routes.add(route);
    }

    /** The route's hosts: none for no host, one otherwise; null (warned) when the host is unusable. */
    private static List<String> hosts(String host, String field, ObjectReport report) {
        if (host == null || host.isEmpty()) {
            return List.of();
        }
        if (!HOST.matcher(host).matches()) {
            report.warn(Reason.Invalid, field, "\"" + host + "\", this rule is not served (expected: a lower-case DNS name, "
                    + "or *. and one, e.g. *.example.com)");
            return null;
        }
        return List.of(host.startsWith("*.") ? Route.ONE_LABEL + host.substring(2) : host);
    }

    /** The snapshot path of an Ingress path; null (warned) when it cannot be used. */
    private static String routePath(HTTPIngressPath p, String field, ObjectReport report) {
        String type = p.getPathType();
        String path = p.getPath() == null || p.getPath().isEmpty() ? null : p.getPath();
        if (type == null || type.isEmpty()) {
            report.warn(Reason.Invalid, field + ".pathType", "missing, this path is not served "
                    + "(expected: Exact, Prefix or ImplementationSpecific)");
            return null;
        }
        if (path == null) {
            if (type.equals("Exact")) {
                report.warn(Reason.Invalid, field + ".path", "missing, this path is not served (expected: an absolute path "
                        + "for pathType Exact)");
                return null;
            }
            path = "/";
        }
        if (!path.startsWith("/")) {
            report.warn(Reason.Invalid, field + ".path", "\"" + path + "\", this path is not served (expected: an absolute "
                    + "path starting with /)");
            return null;
        }
        String matched;
        switch (type) {
            case "Exact" -> matched = path;
            case "Prefix" -> {
                matched = path;
                while (matched.length() > 1 && matched.endsWith("/")) {
                    matched = matched.substring(0, matched.length() - 1);
                }
            }
            case "ImplementationSpecific" -> matched = path;
            default -> {
                report.warn(Reason.Invalid, field + ".pathType", "\"" + type + "\", this path is not served "
                        + "(expected: Exact, Prefix or ImplementationSpecific)");
                return null;
            }
        }
        String notNormal = RouteStep.notNormal(matched);
        if (notNormal != null) {
            report.warn(Reason.Invalid, field + ".path", notNormal + "; this path is not served");
            return null;
        }
        return type.equals("Exact") ? Route.EXACT + matched : matched;
    }

    /**
     * {@code spec.tls} → claims on the Secrets, for {@link CertificateStep}. Each entry's hosts get
     * its Secret ({@code *.example.com} as one label, like the rules' hosts); an entry without hosts
     * covers the hosts of every rule, as the Ingress API's default "the wildcard host" reads for a
     * controller serving named hosts; an entry without a secretName leaves its hosts to the default
     * certificate.
     */
    private static void tls(IngressSpec spec, int firstRoute, ObjectReport report, TranslationContext ctx) {
        List<IngressTLS> tls = Objects.requireNonNullElse(spec.getTls(), List.of());
        List<Route> mine = ctx.routes.subList(firstRoute, ctx.routes.size());
        for (int k = 0; k < tls.size(); k++) {
            IngressTLS t = tls.get(k);
            String field = "spec.tls[" + k + "]";
            if (t.getSecretName() == null || t.getSecretName().isEmpty()) {
                continue;
            }
            List<String> hosts = new ArrayList<>();
            List<String> declared = Objects.requireNonNullElse(t.getHosts(), List.of());
            for (int h = 0; h < declared.size(); h++) {
                List<String> host = hosts(declared.get(h), field + ".hosts[" + h + "]", report);
                if (host != null && !host.isEmpty() && !hosts.contains(host.get(0))) {
                    hosts.add(host.get(0));
                }
            }
            if (declared.isEmpty()) {
                mine.forEach(r -> r.hosts().stream().filter(h -> !hosts.contains(h)).forEach(hosts::add));
            }
            if (hosts.isEmpty()) {
                report.warn(Reason.InvalidCertificateRef, field + ".secretName", "Secret \"" + t.getSecretName() + "\" "
                        + "is named but no host is (fix: list the hosts in " + field + ".hosts, or give the rules hosts)");
                continue;
            }
            List<String> routeIds = mine.stream().filter(r -> r.hosts().stream().anyMatch(hosts::contains))
                    .map(Route::id).toList();
            ctx.tlsClaims.add(new TranslationContext.TlsClaim(report, field + ".secretName", report.source.namespace(),
                    t.getSecretName(), List.copyOf(hosts), routeIds));
        }
    }
}
