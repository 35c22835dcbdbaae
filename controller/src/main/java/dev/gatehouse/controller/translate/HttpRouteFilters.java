package dev.gatehouse.controller.translate;

import dev.gatehouse.config.RouteFilters;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPBackendRef;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPHeader;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPHeaderFilter;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPPathModifier;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRequestRedirectFilter;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteFilter;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteMatch;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRouteRule;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPURLRewriteFilter;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * The filters of one HTTPRoute rule → the snapshot's {@link RouteFilters} and the rule's service
 * settings (docs/gateway-api.md, "Filters"):
 * <ul>
 *   <li>RequestHeaderModifier and ResponseHeaderModifier: {@code set}, {@code add}, {@code remove};
 *       of several entries with one name (case-insensitive) the first counts, as the spec says; a
 *       name the proxy reserves ({@link RouteFilters#RESERVED}: hop-by-hop, framing, Host,
 *       X-Forwarded-*, X-Consumer-*, ...) is refused;</li>
 *   <li>RequestRedirect: {@code scheme}, {@code hostname}, {@code port}, {@code path}
 *       (ReplaceFullPath, ReplacePrefixMatch on a PathPrefix match), {@code statusCode} (302 by default);</li>
 *   <li>URLRewrite: {@code hostname} (the Host sent upstream), {@code path} ReplacePrefixMatch on a
 *       PathPrefix match (the service path, with the matched prefix stripped) or ReplaceFullPath;</li>
 *   <li>ExtensionRef: Gatehouse's KeyAuthFilter ({@link HttpRouteExtensions}), at most one per rule.</li>
 * </ul>
 * A filter Gatehouse cannot apply, or one written wrongly, is never skipped: the rule is
 * {@link Parsed#blocked blocked} and its requests get 500, as the spec asks for filters that cannot
 * be honoured ({@link HttpRouteRules}).
 */
final class HttpRouteFilters {
    /** The spec's default redirect status. */
    static final int DEFAULT_REDIRECT = 302;

    private HttpRouteFilters() {
    }

    /**
     * @param filters     the snapshot filters; null when the rule has none that the proxy applies
     * @param servicePath the prefix added upstream ({@code /}, or a ReplacePrefixMatch's value)
     * @param strip       whether the matched prefix is removed upstream (ReplacePrefixMatch)
     * @param hostHeader  the Host sent upstream (URLRewrite {@code hostname}); null keeps the client's
     * @param blocked     why the rule cannot be served as written ({@code filters[f]...: message}); null when it can
     * @param blockedReason the ResolvedRefs reason when a reference blocks the rule ({@code InvalidKind},
     *                    {@code BackendNotFound}); null when it is a value Gatehouse cannot apply
     * @param keyAuth     key-auth from a KeyAuthFilter extensionRef; null for none
     * @param refNotes    reference problems that do not block the rule (a missing anonymous Consumer)
     */
    record Parsed(RouteFilters filters, String servicePath, boolean strip, String hostHeader, String blocked,
                  String blockedReason, dev.gatehouse.config.Route.KeyAuth keyAuth, List<String> refNotes) {
        boolean redirects() {
            return filters != null && filters.redirect() != null;
        }
    }

    /** Thrown inside {@link #parse} to block the rule with a message naming the field. */
    private static final class Blocked extends Exception {
        private static final long serialVersionUID = 1L;
        private final transient String reason;

        Blocked(String message) {
            this(null, message);
        }

        Blocked(String reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }
    }

    /** As {@link #parse(HTTPRouteRule, List, HttpRouteExtensions, String)} without Gatehouse's extensions. */
    static Parsed parse(HTTPRouteRule rule, List<HTTPRouteMatch> matches) {
        return parse(rule, matches, HttpRouteExtensions.NONE, Sources.DEFAULT_NAMESPACE);
    }

    /**
     * @param extensions resolves {@code ExtensionRef} filters
     * @param namespace  the HTTPRoute's namespace
     */
    static Parsed parse(HTTPRouteRule rule, List<HTTPRouteMatch> matches, HttpRouteExtensions extensions, String namespace) {
        List<String> notes = new ArrayList<>();
        try {
            return parseOrThrow(rule, matches, extensions, namespace, notes);
        } catch (Blocked b) {
            return new Parsed(null, "/", false, null, b.getMessage(), b.reason, null, notes);
        }
    }

    private static Parsed parseOrThrow(HTTPRouteRule rule, List<HTTPRouteMatch> matches, HttpRouteExtensions extensions,
                                       String namespace, List<String> notes) throws Blocked {
        dev.gatehouse.config.Route.KeyAuth keyAuth = null;
        RouteFilters.HeaderEdits request = null;
        RouteFilters.HeaderEdits response = null;
        RouteFilters.Redirect redirect = null;
        HTTPURLRewriteFilter rewrite = null;
        String rewriteAt = null;
        List<HTTPRouteFilter> filters = Objects.requireNonNullElse(rule.getFilters(), List.of());
        for (int f = 0; f < filters.size(); f++) {
            HTTPRouteFilter filter = filters.get(f);
            String at = "filters[" + f + "]";
            String type = Objects.requireNonNullElse(filter.getType(), "");
            switch (type) {
                case "RequestHeaderModifier" -> {
                    once(request, at, type);
                    request = edits(filter.getRequestHeaderModifier(), at + ".requestHeaderModifier");
                }
                case "ResponseHeaderModifier" -> {
                    once(response, at, type);
                    response = edits(filter.getResponseHeaderModifier(), at + ".responseHeaderModifier");
                }
                case "RequestRedirect" -> {
                    once(redirect, at, type);
                    redirect = redirect(filter.getRequestRedirect(), matches, at + ".requestRedirect");
                }
                case "URLRewrite" -> {
                    once(rewrite, at, type);
                    if (filter.getUrlRewrite() == null) {
                        throw new Blocked(at + ".urlRewrite: missing (expected: hostname or path)");
                    }
                    rewrite = filter.getUrlRewrite();
                    rewriteAt = at + ".urlRewrite";
                }
                case "ExtensionRef" -> {
                    HttpRouteExtensions.Resolved ext = extensions.resolve(filter.getExtensionRef(), at, namespace);
                    if (ext.refused() != null) {
                        throw new Blocked(ext.refused().reason(), ext.refused().message());
                    }
                    once(keyAuth, at, "KeyAuthFilter extensionRef");
                    keyAuth = ext.keyAuth();
                    if (ext.note() != null) {
                        notes.add(ext.note());
                    }
                }
                default -> throw new Blocked(at + ".type: " + type + " is not supported yet");
            }
        }
        List<HTTPBackendRef> refs = Objects.requireNonNullElse(rule.getBackendRefs(), List.of());
        for (int k = 0; k < refs.size(); k++) {
            if (refs.get(k).getFilters() != null && !refs.get(k).getFilters().isEmpty()) {
                throw new Blocked("backendRefs[" + k + "].filters: filters on a backendRef are not supported yet");
            }
        }
        if (redirect != null && rewrite != null) {
            throw new Blocked("filters: RequestRedirect and URLRewrite together (expected: one of them; the spec forbids both)");
        }
        String servicePath = "/";
        boolean strip = false;
        String hostHeader = null;
        String fullPath = null;
        if (rewrite != null) {
            if (rewrite.getHostname() != null && !rewrite.getHostname().isEmpty()) {
                hostHeader = rewrite.getHostname().toLowerCase(Locale.ROOT);
            }
            HTTPPathModifier p = rewrite.getPath();
            if (p != null) {
                String value = pathModifier(p, matches, rewriteAt + ".path");
                if ("ReplacePrefixMatch".equals(p.getType())) {
                    servicePath = value;
                    strip = true;
                } else {
                    fullPath = value;
                }
            }
        }
        boolean none = request == null && response == null && redirect == null && fullPath == null;
        return new Parsed(none ? null : new RouteFilters(request, response, redirect, fullPath), servicePath, strip,
                hostHeader, null, null, keyAuth, notes);
    }

    private static void once(Object seen, String at, String type) throws Blocked {
        if (seen != null) {
            throw new Blocked(at + ".type: a second " + type + " (expected: at most one per rule)");
        }
    }

    private static RouteFilters.HeaderEdits edits(HTTPHeaderFilter h, String at) throws Blocked {
        if (h == null) {
            throw new Blocked(at + ": missing (expected: set, add or remove)");
        }
        Set<String> seen = new HashSet<>();
        List<RouteFilters.Header> set = headers(h.getSet(), at + ".set", seen);
        List<RouteFilters.Header> add = headers(h.getAdd(), at + ".add", new HashSet<>());
        List<String> remove = new ArrayList<>();
        Set<String> removed = new HashSet<>();
        List<String> names = Objects.requireNonNullElse(h.getRemove(), List.of());
        for (int k = 0; k < names.size(); k++) {
            refuse(RouteFilters.refusedName(names.get(k)), at + ".remove[" + k + "]");
            if (removed.add(names.get(k).toLowerCase(Locale.ROOT))) {
                remove.add(names.get(k));
            }
        }
        return new RouteFilters.HeaderEdits(set, add, remove);
    }

    private static List<RouteFilters.Header> headers(List<HTTPHeader> in, String at, Set<String> seen) throws Blocked {
        List<RouteFilters.Header> out = new ArrayList<>();
        List<HTTPHeader> list = Objects.requireNonNullElse(in, List.of());
        for (int k = 0; k < list.size(); k++) {
            HTTPHeader h = list.get(k);
            refuse(RouteFilters.refusedName(h.getName()), at + "[" + k + "].name");
            String value = Objects.requireNonNullElse(h.getValue(), "");
            refuse(RouteFilters.refusedValue(value), at + "[" + k + "].value");
            if (seen.add(h.getName().toLowerCase(Locale.ROOT))) { // the spec: the first of equal names counts
                out.add(new RouteFilters.Header(h.getName(), value));
            }
        }
        return out;
    }

    private static RouteFilters.Redirect redirect(HTTPRequestRedirectFilter r, List<HTTPRouteMatch> matches, String at)
            throws Blocked {
        if (r == null) {
            throw new Blocked(at + ": missing");
        }
        String scheme = r.getScheme() == null || r.getScheme().isEmpty() ? null : r.getScheme().toLowerCase(Locale.ROOT);
        if (scheme != null && !scheme.equals("http") && !scheme.equals("https")) {
            throw new Blocked(at + ".scheme: \"" + r.getScheme() + "\" (expected: http or https)");
        }
        String host = r.getHostname() == null || r.getHostname().isEmpty() ? null : r.getHostname().toLowerCase(Locale.ROOT);
        if (host != null && (host.contains("*") || host.contains("+") || host.contains("/") || host.contains(":"))) {
            throw new Blocked(at + ".hostname: \"" + r.getHostname() + "\" (expected: a host name without wildcard or port)");
        }
        Integer port = r.getPort();
        if (port != null && (port < 1 || port > 65535)) {
            throw new Blocked(at + ".port: " + port + " (expected: 1..65535)");
        }
        int status = r.getStatusCode() == null ? DEFAULT_REDIRECT : r.getStatusCode();
        if (!RouteFilters.REDIRECT_STATUSES.contains(status)) {
            throw new Blocked(at + ".statusCode: " + status + " (expected: 301 or 302; 303, 307 and 308 are served too)");
        }
        String fullPath = null;
        String prefix = null;
        if (r.getPath() != null) {
            String value = pathModifier(r.getPath(), matches, at + ".path");
            if ("ReplacePrefixMatch".equals(r.getPath().getType())) {
                prefix = value;
            } else {
                fullPath = value;
            }
        }
        return new RouteFilters.Redirect(scheme, host, port, fullPath, prefix, status);
    }

    /** The value of a ReplaceFullPath or ReplacePrefixMatch modifier, checked; an empty one is {@code /}. */
    private static String pathModifier(HTTPPathModifier p, List<HTTPRouteMatch> matches, String at) throws Blocked {
        String kind = Objects.requireNonNullElse(p.getType(), "");
        String value;
        if (kind.equals("ReplacePrefixMatch")) {
            boolean prefixes = matches.stream().allMatch(m -> m.getPath() == null || m.getPath().getType() == null
                    || m.getPath().getType().equals("PathPrefix"));
            if (!prefixes) {
                throw new Blocked(at + ": ReplacePrefixMatch is supported on PathPrefix matches only (the spec's rule)");
            }
            value = p.getReplacePrefixMatch();
        } else if (kind.equals("ReplaceFullPath")) {
            value = p.getReplaceFullPath();
        } else {
            throw new Blocked(at + ".type: \"" + kind + "\" (expected: ReplaceFullPath or ReplacePrefixMatch)");
        }
        value = value == null || value.isEmpty() ? "/" : value;
        String notNormal = !value.startsWith("/") || value.indexOf('?') >= 0 || value.indexOf('#') >= 0
                || value.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f) ? "\"" + value + "\" (expected: an absolute path, "
                + "without query or spaces)" : RouteStep.notNormal(value);
        if (notNormal != null) {
            throw new Blocked(at + ": " + notNormal.replace("never matches", "is not a path a request could have"));
        }
        return value;
    }

    private static void refuse(String problem, String at) throws Blocked {
        if (problem != null) {
            throw new Blocked(at + ": " + problem);
        }
    }
}
