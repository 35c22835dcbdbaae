package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.Source;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPHeaderMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPPathMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteFilter;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteRule;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPURLRewriteFilter;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
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
 *       too), method; the client's Host is kept and the path is forwarded unchanged;</li>
 *   <li>URLRewrite: {@code hostname}, {@code ReplacePrefixMatch} on PathPrefix matches and
 *       {@code ReplaceFullPath} on Exact matches.</li>
 * </ul>
 * What the snapshot cannot express is never served as if it were absent: a match with query
 * parameters or a regex header is left out (its requests are not taken by this rule); a rule
 * with a filter Gatehouse cannot apply keeps its matches with no service, so its requests get 503
 * instead of reaching the backend without the filter. Both are named in {@code PartiallyInvalid}.
 */
final class HttpRouteRules {
    private HttpRouteRules() {
    }

    /** What a rule's filters do to its requests. */
    private record Filters(String servicePath, boolean strip, String hostHeader, String blocked) {
    }

    /**
     * @param hosts the hostnames the route is served for (its intersection with the listeners); empty: any
     * @param ctx   where upstreams and services go; a scratch context when the route is not attached
     */
    static List<Route> translate(HTTPRoute route, Source source, List<String> hosts, ClusterState state,
                                 TranslationContext ctx, RouteProblems problems) {
        List<Route> out = new ArrayList<>();
        List<HTTPRouteRule> rules = route.getSpec() == null || route.getSpec().getRules() == null
                ? List.of(new HTTPRouteRule()) : route.getSpec().getRules();
        for (int i = 0; i < rules.size(); i++) {
            HTTPRouteRule rule = rules.get(i);
            String field = "spec.rules[" + i + "]";
            List<HTTPRouteMatch> matches = rule.getMatches() == null || rule.getMatches().isEmpty()
                    ? List.of(new HTTPRouteMatch()) : rule.getMatches();
            Filters filters = filters(rule, matches, field);
            List<Route> servable = new ArrayList<>();
            for (int j = 0; j < matches.size(); j++) {
                Route r = match(matches.get(j), field + ".matches[" + j + "]", source, hosts, filters, problems,
                        source.key() + "#rules[" + i + "].matches[" + j + "]");
                if (r != null) {
                    servable.add(r);
                }
            }
            // a rule none of whose matches can be served adds no service: its backends are only checked
            boolean serve = !servable.isEmpty() && filters.blocked() == null;
            List<HTTPBackendRef> refs = Objects.requireNonNullElse(rule.getBackendRefs(), List.of());
            String service = GatewayBackends.resolve(source.key() + "#rules[" + i + "]", source, refs, field,
                    filters.servicePath(), filters.hostHeader(), state, serve ? ctx : new TranslationContext(), problems);
            if (filters.blocked() != null) {
                problems.unsupported(field, filters.blocked() + "; requests this rule matches get 503 rather than be "
                        + "served without it");
                service = null;
            }
            for (Route r : servable) {
                out.add(new Route(r.id(), r.source(), service, r.hosts(), r.paths(), r.methods(), r.headers(), r.stripPath(),
                        r.preserveHost(), r.priority(), r.keyAuth(), r.maxBodySize(), r.allowEncodedSlashes()));
            }
        }
        return out;
    }

    private static Filters filters(HTTPRouteRule rule, List<HTTPRouteMatch> matches, String field) {
        String path = "/";
        boolean strip = false;
        String host = null;
        List<HTTPRouteFilter> filters = Objects.requireNonNullElse(rule.getFilters(), List.of());
        for (int f = 0; f < filters.size(); f++) {
            HTTPRouteFilter filter = filters.get(f);
            String at = "filters[" + f + "]";
            String type = Objects.requireNonNullElse(filter.getType(), "");
            if (!type.equals("URLRewrite") || filter.getUrlRewrite() == null) {
                return new Filters(path, strip, host, at + ".type: " + type + " is not supported yet");
            }
            HTTPURLRewriteFilter rw = filter.getUrlRewrite();
            if (rw.getHostname() != null && !rw.getHostname().isEmpty()) {
                host = rw.getHostname();
            }
            if (rw.getPath() == null) {
                continue;
            }
            String kind = Objects.requireNonNullElse(rw.getPath().getType(), "");
            String needs = kind.equals("ReplacePrefixMatch") ? "PathPrefix" : kind.equals("ReplaceFullPath") ? "Exact" : null;
            String value = kind.equals("ReplacePrefixMatch") ? rw.getPath().getReplacePrefixMatch() : rw.getPath().getReplaceFullPath();
            if (needs == null) {
                return new Filters(path, strip, host, at + ".urlRewrite.path.type: " + kind + " is not supported");
            }
            boolean fits = matches.stream().allMatch(m -> needs.equals(m.getPath() == null || m.getPath().getType() == null
                    ? "PathPrefix" : m.getPath().getType()));
            if (!fits) {
                return new Filters(path, strip, host, at + ".urlRewrite.path: " + kind + " is supported on " + needs
                        + " matches only");
            }
            value = value == null || value.isEmpty() ? "/" : value;
            if (!value.startsWith("/") || RouteStep.notNormal(value) != null) {
                return new Filters(path, strip, host, at + ".urlRewrite.path: \"" + value + "\" (expected: an absolute path "
                        + "in normal form)");
            }
            path = value;
            strip = true;
        }
        return new Filters(path, strip, host, null);
    }

    /** The match as a route without its service; null (reported) when it cannot be expressed. */
    private static Route match(HTTPRouteMatch m, String field, Source source, List<String> hosts,
                               Filters filters, RouteProblems problems, String id) {
        String path = path(m.getPath(), field + ".path", problems);
        if (path == null) {
            return null;
        }
        if (m.getQueryParams() != null && !m.getQueryParams().isEmpty()) {
            problems.unsupported(field + ".queryParams", "query parameter matches are not supported yet; this match is "
                    + "left out");
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
                null, null, false);
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
