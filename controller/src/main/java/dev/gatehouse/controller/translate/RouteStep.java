package dev.gatehouse.controller.translate;

import dev.gatehouse.api.v1alpha1.GatewayRoute;
import dev.gatehouse.api.v1alpha1.GatewayRouteSpec;
import dev.gatehouse.api.v1alpha1.ObjectRef;
import dev.gatehouse.api.v1alpha1.Plugins;
import dev.gatehouse.config.RequestPath;
import dev.gatehouse.config.ByteSizes;
import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.Route;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * GatewayRoute objects → snapshot routes, oldest first. A route whose service cannot take
 * traffic is kept with no service (its requests get 503) so they never fall through to a
 * less specific route that might not check keys. Two routes with the same match: the older
 * one wins, the newer one is refused with a Conflict naming the older. A prefix path that is
 * not in its {@link RequestPath normal form} is refused: it could never match.
 */
final class RouteStep {
    private static final Pattern HOST = Pattern.compile(dev.gatehouse.api.v1alpha1.Schema.HOST);
    private static final Pattern METHOD = Pattern.compile(dev.gatehouse.api.v1alpha1.Schema.METHOD);
    static final Pattern HEADER_NAME = Pattern.compile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$");

    private RouteStep() {
    }

    static void run(ClusterState state, TranslationContext ctx) {
        List<GatewayRoute> routes = ctx.sorted(ctx.memo == null ? null : ctx.memo.routes, state.routes(), Sources.CREATION_ORDER);
        Map<String, ObjectReport> matchOwners = new HashMap<>(TranslationContext.capacity(routes.size()));
        for (GatewayRoute r : routes) {
            TranslationMemo.Entry kept = null;
            Object[] deps = null;
            ObjectReport report = null;
            if (ctx.memo != null) {
                deps = inputs(r, ctx);
                kept = ctx.memo.routes.find(r, deps);
                report = kept == null ? null : ctx.reuse(kept);
            }
            Route built;
            String match;
            if (report != null) {
                built = (Route) kept.output;
                match = (String) kept.extra;
            } else {
                boolean keep = ctx.keeps(r);
                report = ctx.report(r);
                built = build(r.getSpec(), report, ctx);
                match = report.isInvalid() ? null : matchKey(built);
                if (keep) {
                    ctx.memo.routes.put(r, deps, built, report, match);
                }
            }
            if (report.isInvalid()) {
                continue;
            }
            ObjectReport owner = matchOwners.putIfAbsent(match, report);
            if (owner != null) {
                report.conflict("spec", "same hosts, paths, methods, headers and priority as " + owner.source.display()
                        + ", which is older and wins (expected: a distinct match; change one of them or delete one)");
                continue;
            }
            ctx.routes.add(built);
            claimCertificate(r.getSpec(), built, report, ctx);
        }
    }

    /**
     * What a route's translation reads beyond the object, from what earlier steps accepted: whether
     * its GatewayService was accepted, the key-auth settings it inherits from it and why it cannot
     * take traffic, and the id of the anonymous Consumer its key-auth names (null when there is none).
     */
    static Object[] inputs(GatewayRoute r, TranslationContext ctx) {
        GatewayRouteSpec spec = r.getSpec();
        if (spec == null) {
            return UpstreamStep.NO_INPUTS;
        }
        String ns = Sources.namespace(r);
        ObjectRef ref = spec.serviceRef;
        Boolean accepted = null;
        String unusable = null;
        Plugins.KeyAuth inherited = null;
        if (ref != null && ref.name != null && !ref.name.isEmpty()
                && (ref.namespace == null || ref.namespace.isEmpty() || ref.namespace.equals(ns))) {
            String key = ns + "/" + ref.name;
            accepted = ctx.services.containsKey(key);
            unusable = ctx.unusableServices.get(key);
            Plugins p = ctx.servicePlugins.get(key);
            inherited = p == null ? null : p.keyAuth;
        }
        Plugins.KeyAuth declared = spec.plugins == null ? null : spec.plugins.keyAuth;
        Plugins.KeyAuth effective = declared != null ? declared : inherited;
        String anonymous = null;
        if (effective != null && effective.anonymous != null && !effective.anonymous.isEmpty()) {
            Consumer c = ctx.consumers.get(ns + "/" + effective.anonymous);
            anonymous = c == null ? null : c.id();
        }
        return new Object[] {accepted, new Identity(inherited), unusable, anonymous};
    }

    /** Equal only to a wrapper of the same object: settings read from a GatewayService are the same while it is. */
    private record Identity(Object of) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Identity i && i.of == of;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(of);
        }
    }

    /** Records the route's claim on its TLS Secret, read by {@link CertificateStep}. */
    private static void claimCertificate(GatewayRouteSpec spec, Route route, ObjectReport report, TranslationContext ctx) {
        if (spec.tls == null) {
            return;
        }
        String field = "spec.tls.secretName";
        if (spec.tls.secretName == null || spec.tls.secretName.isEmpty()) {
            report.warn(Reason.InvalidCertificateRef, field, "missing (fix: the name of a kubernetes.io/tls Secret in namespace "
                    + report.source.namespace() + "); the route is served over plain HTTP only");
        } else if (route.hosts().isEmpty()) {
            report.warn(Reason.InvalidCertificateRef, field, "Secret \"" + spec.tls.secretName + "\" is named but spec.hosts "
                    + "is empty, and a certificate is chosen by the host a client asks for (fix: list the hosts the "
                    + "certificate is for in spec.hosts); the route is served over plain HTTP only");
        } else {
            ctx.tlsClaims.add(new TranslationContext.TlsClaim(report, field, report.source.namespace(), spec.tls.secretName,
                    route.hosts(), List.of(route.id())));
        }
    }

    private static Route build(GatewayRouteSpec spec, ObjectReport report, TranslationContext ctx) {
        if (spec == null) {
            report.invalid("spec", "missing (expected: serviceRef and a match)");
            return null;
        }
        List<String> hosts = new ArrayList<>();
        List<String> declaredHosts = Objects.requireNonNullElse(spec.hosts, List.of());
        for (int i = 0; i < declaredHosts.size(); i++) {
            String h = declaredHosts.get(i);
            if (h == null || !HOST.matcher(h).matches()) {
                report.invalid("spec.hosts[" + i + "]", "\"" + h + "\" (expected: a lower-case host name, or *. and one)");
            } else if (!hosts.contains(h)) {
                hosts.add(h);
            }
        }
        List<String> paths = new ArrayList<>();
        List<String> declaredPaths = Objects.requireNonNullElse(spec.paths, List.of());
        for (int i = 0; i < declaredPaths.size(); i++) {
            String p = declaredPaths.get(i);
            String field = "spec.paths[" + i + "]";
            if (p == null || p.isEmpty()) {
                report.invalid(field, "empty (expected: a prefix starting with / or a regex starting with ~)");
            } else if (p.startsWith("~")) {
                try {
                    Pattern.compile(p.substring(1));
                    paths.add(p);
                } catch (PatternSyntaxException e) {
                    report.invalid(field, "invalid regex \"" + p.substring(1) + "\": " + e.getDescription()
                            + " near index " + e.getIndex() + " (expected: a Java regular expression after ~)");
                }
            } else if (!p.startsWith("/")) {
                report.invalid(field, "\"" + p + "\" (expected: a prefix starting with / or a regex starting with ~)");
            } else if (notNormal(p) != null) {
                report.invalid(field, notNormal(p));
            } else if (!paths.contains(p)) {
                paths.add(p);
            }
        }
        List<String> methods = new ArrayList<>();
        List<String> declaredMethods = Objects.requireNonNullElse(spec.methods, List.of());
        for (int i = 0; i < declaredMethods.size(); i++) {
            String m = declaredMethods.get(i);
            if (m == null || !METHOD.matcher(m).matches()) {
                report.invalid("spec.methods[" + i + "]", "\"" + m + "\" (expected: an upper-case method such as GET)");
            } else if (!methods.contains(m)) {
                methods.add(m);
            }
        }
        Map<String, List<String>> headers = new TreeMap<>();
        Objects.requireNonNullElse(spec.headers, Map.<String, List<String>>of()).forEach((name, values) -> {
            if (name == null || !HEADER_NAME.matcher(name).matches()) {
                report.invalid("spec.headers", "\"" + name + "\" is not a header name (expected: an HTTP token)");
            } else if (values == null || values.isEmpty()) {
                report.invalid("spec.headers." + name, "no values (expected: at least one accepted value)");
            } else {
                headers.put(name.toLowerCase(Locale.ROOT), List.copyOf(values));
            }
        });
        Long maxBodySize = maxBodySize(spec.maxBodySize, report);
        Long websocketIdleTimeout = websocketIdleTimeout(spec.websocketIdleTimeout, report);
        Plugins.KeyAuth declaredKeyAuth = spec.plugins == null ? null : spec.plugins.keyAuth;
        checkKeyAuth(declaredKeyAuth, report);

        ObjectRef ref = spec.serviceRef;
        String service = null;
        Plugins.KeyAuth inherited = null;
        if (ref == null || ref.name == null || ref.name.isEmpty()) {
            report.invalid("spec.serviceRef.name", "missing (expected: the name of a GatewayService)");
        } else if (sameNamespace(ref, "spec.serviceRef", report)) {
            String key = report.source.namespace() + "/" + ref.name;
            if (ctx.services.containsKey(key)) {
                service = key;
                Plugins p = ctx.servicePlugins.get(key);
                inherited = p == null ? null : p.keyAuth;
            } else {
                report.unresolved(Reason.RefNotFound, "spec.serviceRef.name",
                        Objects.requireNonNullElse(ctx.unusableServices.get(key), "GatewayService " + key + " not found")
                                + " (requests matching this route get 503 until it is)");
            }
        }
        if (report.isInvalid()) {
            return null;
        }
        Plugins.KeyAuth effective = declaredKeyAuth != null ? declaredKeyAuth : inherited;
        Route.KeyAuth keyAuth = effective == null ? null : keyAuth(effective, report, ctx);
        return new Route(report.source.key(), report.source, service, hosts, paths, methods, headers,
                !Boolean.FALSE.equals(spec.stripPath), Boolean.TRUE.equals(spec.preserveHost),
                Objects.requireNonNullElse(spec.priority, 0), keyAuth, maxBodySize, Boolean.TRUE.equals(spec.allowEncodedSlashes),
                Boolean.TRUE.equals(spec.httpsRedirect), websocketIdleTimeout);
    }

    /** Milliseconds; null (the default) when absent, and when invalid (then reported). */
    private static Long websocketIdleTimeout(String text, ObjectReport report) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            long millis = dev.gatehouse.config.Durations.parseMillis(text);
            if (millis <= 0) {
                report.invalid("spec.websocketIdleTimeout", "\"" + text + "\" (expected: a duration above 0, e.g. 30m)");
                return null;
            }
            return millis;
        } catch (IllegalArgumentException e) {
            report.invalid("spec.websocketIdleTimeout", e.getMessage());
            return null;
        }
    }

    /** Bytes; null (no limit) when absent or empty, and when invalid (then reported). */
    private static Long maxBodySize(String text, ObjectReport report) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            return ByteSizes.parse(text);
        } catch (IllegalArgumentException e) {
            report.invalid("spec.maxBodySize", e.getMessage());
            return null;
        }
    }

    private static Route.KeyAuth keyAuth(Plugins.KeyAuth k, ObjectReport report, TranslationContext ctx) {
        String anonymous = null;
        if (k.anonymous != null && !k.anonymous.isEmpty()) {
            String key = report.source.namespace() + "/" + k.anonymous;
            Consumer c = ctx.consumers.get(key);
            if (c == null) {
                report.unresolved(Reason.RefNotFound, "spec.plugins.keyAuth.anonymous", "Consumer " + key
                        + " not found or not accepted (requests without a key get 401 until it is)");
            } else {
                anonymous = c.id();
            }
        }
        List<String> names = Objects.requireNonNullElse(k.keyNames, List.<String>of()).stream()
                .map(n -> n.toLowerCase(Locale.ROOT)).distinct().toList();
        return new Route.KeyAuth(names, !Boolean.FALSE.equals(k.keyInHeader), !Boolean.FALSE.equals(k.keyInQuery),
                Boolean.TRUE.equals(k.hideCredentials), anonymous);
    }

    /** Checks of a key-auth block that make its owner invalid. */
    static void checkKeyAuth(Plugins.KeyAuth k, ObjectReport report) {
        if (k == null) {
            return;
        }
        if (Boolean.FALSE.equals(k.keyInHeader) && Boolean.FALSE.equals(k.keyInQuery)) {
            report.invalid("spec.plugins.keyAuth", "keyInHeader and keyInQuery are both false (expected: at least one place to look for a key)");
        }
        List<String> names = Objects.requireNonNullElse(k.keyNames, List.of());
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i) == null || !HEADER_NAME.matcher(names.get(i)).matches()) {
                report.invalid("spec.plugins.keyAuth.keyNames[" + i + "]", "\"" + names.get(i) + "\" (expected: a header name token)");
            }
        }
    }

    /** False (and reported) when the reference names another namespace. */
    static boolean sameNamespace(ObjectRef ref, String field, ObjectReport report) {
        if (ref.namespace != null && !ref.namespace.isEmpty() && !ref.namespace.equals(report.source.namespace())) {
            report.unresolved(Reason.RefNotPermitted, field + ".namespace", "\"" + ref.namespace
                    + "\" is another namespace (expected: empty or " + report.source.namespace()
                    + "; cross-namespace references are refused)");
            return false;
        }
        return true;
    }

    /** Two routes with equal keys match exactly the same requests with the same priority. */
    static String matchKey(Route r) {
        return String.join(",", r.hosts().stream().sorted().toList()) + "|"
                + String.join(",", r.paths().stream().sorted().toList()) + "|"
                + String.join(",", r.methods().stream().sorted().toList()) + "|"
                + new TreeMap<>(r.headers().entrySet().stream().collect(java.util.stream.Collectors.toMap(
                Map.Entry::getKey, e -> e.getValue().stream().sorted().toList()))) + "|" + r.priority();
    }

    /**
     * Why a prefix can never match a request path, which the proxy normalises before routing
     * ({@link RequestPath}, the one normaliser both sides use); null when it is normal.
     */
    static String notNormal(String prefix) {
        String normal;
        try {
            normal = RequestPath.normalize(prefix);
        } catch (RequestPath.Refused e) {
            return "\"" + prefix + "\" never matches: a request path like it is refused with 400 (" + e.getMessage() + ")";
        }
        if (normal.equals(prefix)) {
            return null;
        }
        return "\"" + prefix + "\" never matches, as request paths are normalized before routing "
                + "(expected: a normalized path such as \"" + normal + "\": no empty, \".\" or \"..\" "
                + "segments, no percent-encoded unreserved characters, upper-case hex in escapes)";
    }
}
