package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.RouteFilters;
import dev.gatehouse.config.Source;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPHeaderMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPPathMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPQueryParamMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteRule;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The rules of one HTTPRoute → snapshot routes, one per match, id
 * {@code namespace/name#rules[i].matches[j]}, in rule and match order (the spec's last tie-break):
 * <ul>
 *   <li>path {@code Exact} → {@code =path}; {@code PathPrefix} → a segment prefix, a trailing
 *       {@code /} ignored; {@code RegularExpression} → a regex that must match the whole path
 *       (Java syntax);</li>
 *   <li>headers {@code Exact} (names case-insensitive; Gatehouse compares values case-insensitively
 *       too), query parameters {@code Exact} and {@code RegularExpression} (case-sensitive; of
 *       several on one name the first counts), method;</li>
 *   <li>filters ({@link HttpRouteFilters}): header edits, redirects, URL rewrites.</li>
 * </ul>
 * What the snapshot cannot express is never served as if it were absent: a match with a regex
 * header is left out (its requests are not taken by this rule); a rule with a filter Gatehouse
 * cannot apply answers 500 itself, as does a rule without a usable backend (none given, none
 * resolved, or all weights 0), as the spec asks. Both are named in the route's status.
 */
final class HttpRouteRules {
    /** The spec's answer for a rule without a usable backend and for a filter that cannot be honoured. */
    static final int NO_BACKEND = 500;

    private HttpRouteRules() {
    }

    /**
     * @param hosts the hostnames the route is served for (its intersection with the listeners); empty: any
     * @param ctx   where upstreams and services go; a scratch context when the route is not attached
     */
    static List<Route> translate(HTTPRoute route, Source source, List<String> hosts, ClusterState state,
                                 TranslationContext ctx, RouteProblems problems) {
        return translate(route, source, hosts, state, ctx, problems, HttpRouteExtensions.NONE);
    }

    /** @param extensions resolves the rules' {@code ExtensionRef} filters (KeyAuthFilter) */
    static List<Route> translate(HTTPRoute route, Source source, List<String> hosts, ClusterState state,
                                 TranslationContext ctx, RouteProblems problems, HttpRouteExtensions extensions) {
        List<Route> out = new ArrayList<>();
        List<HTTPRouteRule> rules = route.getSpec() == null || route.getSpec().getRules() == null
                ? List.of(new HTTPRouteRule()) : route.getSpec().getRules();
        for (int i = 0; i < rules.size(); i++) {
            HTTPRouteRule rule = rules.get(i);
            String field = "spec.rules[" + i + "]";
            List<HTTPRouteMatch> matches = rule.getMatches() == null || rule.getMatches().isEmpty()
                    ? List.of(new HTTPRouteMatch()) : rule.getMatches();
            HttpRouteFilters.Parsed filters = HttpRouteFilters.parse(rule, matches, extensions, source.namespace());
            filters.refNotes().forEach(n -> problems.ref("BackendNotFound", field, n));
            List<Route> servable = new ArrayList<>();
            for (int j = 0; j < matches.size(); j++) {
                Route r = match(matches.get(j), field + ".matches[" + j + "]", source, hosts, filters, problems,
                        source.key() + "#rules[" + i + "].matches[" + j + "]");
                if (r != null) {
                    servable.add(r);
                }
            }
            // a rule none of whose matches can be served, or one that redirects, adds no service: its backends are only checked
            boolean serve = !servable.isEmpty() && filters.blocked() == null && !filters.redirects();
            List<HTTPBackendRef> refs = Objects.requireNonNullElse(rule.getBackendRefs(), List.of());
            GatewayBackends.Resolved backends = GatewayBackends.resolve(source.key() + "#rules[" + i + "]", source, refs,
                    field, filters.servicePath(), filters.hostHeader(), state, serve ? ctx : new TranslationContext(), problems,
                    extensions);
            String service = backends.service();
            RouteFilters routeFilters = filters.filters();
            Integer direct = null;
            Route.Share share = null;
            if (filters.blocked() != null) {
                String why = filters.blocked() + "; requests this rule matches get " + NO_BACKEND
                        + " rather than be served without it";
                if (filters.blockedReason() != null) {
                    problems.ref(filters.blockedReason(), field, why);
                } else {
                    problems.unsupported(field, why);
                }
                service = null;
                routeFilters = null;
                direct = NO_BACKEND;
            } else if (filters.redirects()) {
                service = null;
            } else if (service == null) {
                direct = NO_BACKEND; // no backendRefs, none usable, or all weights 0: the spec's 500
            } else if (backends.unusableWeight() > 0) {
                // the spec: the share of an unusable backendRef gets 500, the rest go to the usable ones
                direct = NO_BACKEND;
                share = share(backends.unusableWeight(), backends.usableWeight() + backends.unusableWeight());
            }
            for (Route r : servable) {
                out.add(new Route(r.id(), r.source(), service, r.hosts(), r.paths(), r.methods(), r.headers(), r.stripPath(),
                        r.preserveHost(), r.priority(), filters.keyAuth(), r.maxBodySize(), r.allowEncodedSlashes(), false, null,
                        r.queryParams(), routeFilters, direct, share));
            }
        }
        return out;
    }

    /** The match as a route without its service; null (reported) when it cannot be expressed. */
    private static Route match(HTTPRouteMatch m, String field, Source source, List<String> hosts,
                               HttpRouteFilters.Parsed filters, RouteProblems problems, String id) {
        String path = path(m.getPath(), field + ".path", problems);
        if (path == null) {
            return null;
        }
        List<Route.QueryMatch> query = query(m, field, problems);
        if (query == null) {
            return null;
        }
        Map<String, List<String>> headers = new LinkedHashMap<>();
        List<HTTPHeaderMatch> hs = Objects.requireNonNullElse(m.getHeaders(), List.of());
        for (int k = 0; k < hs.size(); k++) {
            HTTPHeaderMatch h = hs.get(k);
            if (h.getName() == null || h.getName().isEmpty()) {
                problems.unsupported(field + ".headers[" + k + "].name", "missing (expected: a header name); this match is "
                        + "left out");
                return null;
            }
            String type = Objects.requireNonNullElse(h.getType(), "Exact");
            if (!type.equals("Exact")) {
                problems.unsupported(field + ".headers[" + k + "].type", type + " header matches are not supported yet "
                        + "(expected: Exact); this match is left out");
                return null;
            }
            // the spec: of several matches on one header name, the first counts
            headers.putIfAbsent(h.getName().toLowerCase(Locale.ROOT), List.of(Objects.requireNonNullElse(h.getValue(), "")));
        }
        List<String> methods = m.getMethod() == null || m.getMethod().isEmpty() ? List.of() : List.of(m.getMethod());
        boolean preserveHost = filters.hostHeader() == null;
        return new Route(id, source, null, hosts, List.of(path), methods, headers, filters.strip(), preserveHost, 0,
                null, null, false, false, null, query, null, null, null);
    }

    /** {@code part} of {@code of}, reduced by their greatest common divisor. */
    static Route.Share share(long part, long of) {
        long gcd = java.math.BigInteger.valueOf(part).gcd(java.math.BigInteger.valueOf(of)).longValueExact();
        return new Route.Share(part / gcd, of / gcd);
    }

    /** The query parameter conditions of a match; null (reported) when one cannot be served. */
    private static List<Route.QueryMatch> query(HTTPRouteMatch m, String field, RouteProblems problems) {
        List<Route.QueryMatch> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        List<HTTPQueryParamMatch> qs = Objects.requireNonNullElse(m.getQueryParams(), List.of());
        for (int k = 0; k < qs.size(); k++) {
            HTTPQueryParamMatch q = qs.get(k);
            String at = field + ".queryParams[" + k + "]";
            if (q.getName() == null || q.getName().isEmpty()) {
                problems.unsupported(at + ".name", "missing (expected: a query parameter name); this match is left out");
                return null;
            }
            String type = Objects.requireNonNullElse(q.getType(), "Exact");
            String value = Objects.requireNonNullElse(q.getValue(), "");
            boolean regex = type.equals("RegularExpression");
            if (!regex && !type.equals("Exact")) {
                problems.unsupported(at + ".type", "\"" + type + "\" (expected: Exact or RegularExpression); this match is "
                        + "left out");
                return null;
            }
            if (regex) {
                try {
                    Pattern.compile(value);
                } catch (PatternSyntaxException e) {
                    problems.unsupported(at + ".value", "not a regular expression Gatehouse can compile (Java syntax): "
                            + e.getDescription() + "; this match is left out");
                    return null;
                }
            }
            if (seen.add(q.getName())) { // the spec: of several matches on one name, the first counts
                out.add(new Route.QueryMatch(q.getName(), value, regex));
            }
        }
        return out;
    }

    /** The snapshot path of a path match; null (reported) when it cannot be served. */
    private static String path(HTTPPathMatch p, String field, RouteProblems problems) {
        String type = p == null || p.getType() == null ? "PathPrefix" : p.getType();
        String value = p == null || p.getValue() == null || p.getValue().isEmpty() ? "/" : p.getValue();
        switch (type) {
            case "Exact", "PathPrefix" -> {
                String v = value;
                if (type.equals("PathPrefix")) {
                    while (v.length() > 1 && v.endsWith("/")) {
                        v = v.substring(0, v.length() - 1);
                    }
                }
                String notNormal = v.startsWith("/") ? RouteStep.notNormal(v) : "\"" + v + "\" (expected: an absolute path)";
                if (notNormal != null) {
                    problems.unsupported(field + ".value", notNormal + "; this match is left out");
                    return null;
                }
                return type.equals("Exact") ? Route.EXACT + v : v;
            }
            case "RegularExpression" -> {
                String regex = "(?:" + value + ")\\z";
                try {
                    Pattern.compile(regex);
                } catch (PatternSyntaxException e) {
                    problems.unsupported(field + ".value", "not a regular expression Gatehouse can compile (Java syntax): "
                            + e.getDescription() + "; this match is left out");
                    return null;
                }
                return Route.REGEX + regex;
            }
            default -> {
                problems.unsupported(field + ".type", "\"" + type + "\" (expected: Exact, PathPrefix or RegularExpression); "
                        + "this match is left out");
                return null;
            }
        }
    }
}
