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
 *   <li>the path is forwarded unchanged unless {@code gatehouse.dev/strip-path: "true"}.</li>
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
                        List.of(), Map.of(), settings.stripPath(), settings.preserveHost(), 0, settings.keyAuth(), null, false),
                        pathField, report, ctx, owners);
            }
        }
        if (spec.getDefaultBackend() != null) {
            String service = backends.resolve(spec.getDefaultBackend(), "spec.defaultBackend");
            add(new Route(source.key() + "#defaultBackend", source, service, List.of(), List.of(), List.of(), Map.of(),
                    settings.stripPath(), settings.preserveHost(), 0, settings.keyAuth(), null, false),
                    "spec.defaultBackend", report, ctx, owners);
        }
        tls(spec, settings, report, ctx);
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

    private static void tls(IngressSpec spec, IngressSettings settings, ObjectReport report, TranslationContext ctx) {
        List<IngressTLS> tls = Objects.requireNonNullElse(spec.getTls(), List.of());
        List<IngressTls.Block> blocks = new ArrayList<>();
        for (int k = 0; k < tls.size(); k++) {
            IngressTLS t = tls.get(k);
            List<String> hosts = Objects.requireNonNullElse(t.getHosts(), List.of());
            blocks.add(new IngressTls.Block(t.getSecretName(), hosts));
            report.warn(Reason.NotYetSupported, "spec.tls[" + k + "]", "recorded (Secret " + t.getSecretName() + ", hosts "
                    + hosts + "), but Gatehouse does not terminate TLS yet: these hosts are served over plain HTTP only");
        }
        if (settings.httpsRedirect()) {
            report.warn(Reason.NotYetSupported, IngressSettings.field(IngressSettings.HTTPS_REDIRECT), "recorded, but the "
                    + "redirect to https comes with TLS termination, which Gatehouse does not do yet: requests are served over "
                    + "plain HTTP");
        }
        if (!blocks.isEmpty() || settings.httpsRedirect()) {
            ctx.ingressTls.add(new IngressTls(report.source, blocks, settings.httpsRedirect()));
        }
    }
}
