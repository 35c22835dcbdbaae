package dev.gatehouse.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntUnaryOperator;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Checks a whole snapshot: every reference resolves, every number is in range, every regex
 * compiles, no key digest is claimed twice in a namespace. The controller runs it before a
 * push and the proxy on receipt; each problem names its object and field. The rules live here
 * only: {@link SnapshotIndex} checks a snapshot patched by an object delta with these same
 * methods, for the objects whose problems the change may have changed.
 */
final class SnapshotValidator {
    private final List<Problem> problems = new ArrayList<>();

    SnapshotValidator() {
    }

    static List<Problem> validate(Snapshot s) {
        SnapshotValidator v = new SnapshotValidator();
        v.check(s);
        return List.copyOf(v.problems);
    }

    /** The problems found so far, in the order found. */
    List<Problem> problems() {
        return List.copyOf(problems);
    }

    /*
     * The order of the checks is the order of the problems: ids of each kind, then upstreams,
     * services, routes, consumers and certificates, each in list order. SnapshotIndex checks a
     * patched snapshot in this same order, through the methods below, for the objects whose
     * problems may have changed.
     */
    private void check(Snapshot s) {
        Set<String> upstreamIds = ids(s.upstreams().stream().map(Upstream::id).toList(), i -> i, "upstreams");
        Set<String> serviceIds = ids(s.services().stream().map(Service::id).toList(), i -> i, "services");
        ids(s.routes().stream().map(Route::id).toList(), i -> i, "routes");
        Set<String> consumerIds = ids(s.consumers().stream().map(Consumer::id).toList(), i -> i, "consumers");

        for (int i = 0; i < s.upstreams().size(); i++) {
            checkUpstream(s.upstreams().get(i), "upstreams[" + i + "]");
        }
        for (int i = 0; i < s.services().size(); i++) {
            checkService(s.services().get(i), "services[" + i + "]", upstreamIds::contains);
        }
        for (int i = 0; i < s.routes().size(); i++) {
            checkRoute(s.routes().get(i), "routes[" + i + "]", serviceIds::contains, consumerIds::contains);
        }
        checkConsumers(s.consumers());
        checkCertificates(s.certificates());
    }

    /** @param upstreamIds whether an id is an upstream of the snapshot */
    void checkService(Service svc, String at, Predicate<String> upstreamIds) {
        if (!upstreamIds.test(svc.upstream())) {
            add(svc.source(), at + ".upstream", "\"" + svc.upstream() + "\" is not an upstream of this snapshot");
        }
        if (svc.retries() < 0) {
            add(svc.source(), at + ".retries", svc.retries() + " (expected: >= 0)");
        }
        if (!svc.path().startsWith("/")) {
            add(svc.source(), at + ".path", "\"" + svc.path() + "\" (expected: a path starting with /)");
        }
        Service.RetryBudget b = svc.retryBudget();
        if (b.percent() < 0 || b.percent() > Service.RetryBudget.MAX_PERCENT) {
            add(svc.source(), at + ".retryBudget.percent", b.percent() + " (expected: 0.." + Service.RetryBudget.MAX_PERCENT + ")");
        }
        if (b.minConcurrency() < 0) {
            add(svc.source(), at + ".retryBudget.minConcurrency", b.minConcurrency() + " (expected: >= 0)");
        }
        Service.Timeouts t = svc.timeouts();
        if (t.connectMillis() <= 0 || t.readMillis() <= 0 || t.writeMillis() <= 0) {
            add(svc.source(), at + ".timeouts", t + " (expected: every timeout > 0)");
        }
    }

    /**
     * Ids unique and sorted, at most one fallback, every other certificate served for some name, no
     * name served by two certificates (the proxy could not choose), names in the hosts' syntax, and
     * PEM present. Whether the key matches and the SANs cover the names the controller checked; the
     * proxy's TLS context building is the last word on the PEM itself.
     */
    void checkCertificates(List<Certificate> certificates) {
        Map<String, String> owners = new HashMap<>();
        String fallback = null;
        String previous = null;
        for (int i = 0; i < certificates.size(); i++) {
            Certificate c = certificates.get(i);
            String at = "certificates[" + i + "]";
            if (previous != null && previous.compareTo(c.id()) >= 0) {
                add(null, at + ".id", "\"" + c.id() + "\" after \"" + previous + "\" (expected: unique ids, sorted)");
            }
            previous = c.id();
            if (c.fallback()) {
                if (fallback != null) {
                    add(null, at + ".fallback", "also " + fallback + " (expected: at most one fallback certificate)");
                }
                fallback = c.id();
            } else if (c.serverNames().isEmpty()) {
                add(null, at + ".serverNames", "empty (expected: the names it is served for, or fallback)");
            }
            for (int j = 0; j < c.serverNames().size(); j++) {
                String name = c.serverNames().get(j);
                if (!validHost(name)) {
                    add(null, at + ".serverNames[" + j + "]", "\"" + name + "\" (expected: a lower-case host name, *.suffix or +.suffix)");
                }
                String owner = owners.putIfAbsent(name, c.id());
                if (owner != null && !owner.equals(c.id())) {
                    add(null, at + ".serverNames[" + j + "]", "\"" + name + "\" is also served by " + owner
                            + " (expected: each name served by one certificate)");
                }
            }
            if (c.chainPem() == null || !c.chainPem().contains("-----BEGIN CERTIFICATE-----")) {
                add(null, at + ".chainPem", "no PEM certificate (expected: the leaf first, then its intermediates)");
            }
            if (c.keyPem() == null || !c.keyPem().startsWith("-----BEGIN PRIVATE KEY-----")) {
                add(null, at + ".keyPem", "not a PKCS#8 PEM key (expected: -----BEGIN PRIVATE KEY-----; the key is not shown)");
            }
        }
    }

    private static boolean validHost(String h) {
        String bare = h.startsWith(Route.ANY_LABELS) || h.startsWith(Route.ONE_LABEL) ? h.substring(2) : h;
        return !bare.isEmpty() && !bare.contains("*") && !bare.contains("+")
                && bare.equals(bare.toLowerCase(java.util.Locale.ROOT));
    }

    void checkUpstream(Upstream u, String at) {
        for (int j = 0; j < u.targets().size(); j++) {
            Upstream.Target t = u.targets().get(j);
            String tat = at + ".targets[" + j + "]";
            if (t.host() == null || t.host().isBlank()) {
                add(u.source(), tat + ".host", "empty (expected: an IP address or a DNS name)");
            }
            if (t.port() < 1 || t.port() > Upstream.Target.MAX_PORT) {
                add(u.source(), tat + ".port", t.port() + " (expected: 1.." + Upstream.Target.MAX_PORT + ")");
            }
            if (t.weight() < 0 || t.weight() > Upstream.Target.MAX_WEIGHT) {
                add(u.source(), tat + ".weight", t.weight() + " (expected: 0.." + Upstream.Target.MAX_WEIGHT + ")");
            }
        }
        if (u.algorithm() == Upstream.Algorithm.CONSISTENT_HASH && u.hashOn() == null) {
            add(u.source(), at + ".hashOn", "missing (expected: a hash source for ConsistentHash)");
        }
        checkHashOn(u, u.hashOn(), at + ".hashOn");
        checkHashOn(u, u.hashFallback(), at + ".hashFallback");
        if (u.slowStartMillis() < 0) {
            add(u.source(), at + ".slowStartMillis", u.slowStartMillis() + " (expected: >= 0)");
        }
        if (u.healthChecks() != null) {
            Upstream.Active a = u.healthChecks().active();
            if (a != null) {
                if (a.path() == null || !a.path().startsWith("/")) {
                    add(u.source(), at + ".healthChecks.active.path", "\"" + a.path() + "\" (expected: a path starting with /)");
                }
                if (a.intervalMillis() <= 0 || a.timeoutMillis() <= 0) {
                    add(u.source(), at + ".healthChecks.active", "interval and timeout must be > 0");
                }
                if (a.healthyThreshold() < 1 || a.unhealthyThreshold() < 1) {
                    add(u.source(), at + ".healthChecks.active", "thresholds must be >= 1");
                }
            }
            Upstream.Passive p = u.healthChecks().passive();
            if (p != null) {
                if (p.consecutiveFailures() < 1) {
                    add(u.source(), at + ".healthChecks.passive.consecutiveFailures", p.consecutiveFailures() + " (expected: >= 1)");
                }
                if (p.maxEjectionPercent() < 0 || p.maxEjectionPercent() > Upstream.Passive.MAX_EJECTION_PERCENT) {
                    add(u.source(), at + ".healthChecks.passive.maxEjectionPercent", p.maxEjectionPercent()
                            + " (expected: 0.." + Upstream.Passive.MAX_EJECTION_PERCENT + ")");
                }
            }
        }
    }

    private void checkHashOn(Upstream u, Upstream.HashOn h, String at) {
        if (h == null) {
            return;
        }
        boolean named = h.source() == Upstream.HashSource.HEADER || h.source() == Upstream.HashSource.COOKIE
                || h.source() == Upstream.HashSource.QUERY_PARAM;
        if (named && (h.name() == null || h.name().isBlank())) {
            add(u.source(), at + ".name", "missing (expected: the " + h.source() + " name to hash on)");
        }
    }

    /** @param serviceIds whether an id is a service of the snapshot; {@code consumerIds} likewise for consumers */
    void checkRoute(Route r, String at, Predicate<String> serviceIds, Predicate<String> consumerIds) {
        if (r.service() != null && !serviceIds.test(r.service())) {
            add(r.source(), at + ".service", "\"" + r.service() + "\" is not a service of this snapshot");
        }
        for (int j = 0; j < r.paths().size(); j++) {
            String p = r.paths().get(j);
            if (p.startsWith(Route.REGEX)) {
                try {
                    Pattern.compile(p.substring(1));
                } catch (PatternSyntaxException e) {
                    add(r.source(), at + ".paths[" + j + "]", "invalid regex: " + e.getDescription());
                }
            } else if (p.startsWith(Route.EXACT) ? !p.startsWith("/", 1) : !p.startsWith("/")) {
                add(r.source(), at + ".paths[" + j + "]", "\"" + p
                        + "\" (expected: a prefix starting with /, a regex starting with ~ or an exact path starting with =/)");
            }
        }
        for (int j = 0; j < r.hosts().size(); j++) {
            String h = r.hosts().get(j);
            if (!validHost(h)) {
                add(r.source(), at + ".hosts[" + j + "]", "\"" + h + "\" (expected: a lower-case host name, *.suffix or +.suffix)");
            }
        }
        if (r.websocketIdleTimeoutMillis() != null && r.websocketIdleTimeoutMillis() <= 0) {
            add(r.source(), at + ".websocketIdleTimeoutMillis", r.websocketIdleTimeoutMillis()
                    + " (expected: > 0 milliseconds, or none for the default)");
        }
        if (r.maxBodySize() != null && r.maxBodySize() < 0) {
            add(r.source(), at + ".maxBodySize", r.maxBodySize() + " (expected: >= 0 bytes, or none for no limit)");
        }
        for (int j = 0; j < r.queryParams().size(); j++) {
            Route.QueryMatch q = r.queryParams().get(j);
            String qat = at + ".queryParams[" + j + "]";
            if (q.name() == null || q.name().isEmpty()) {
                add(r.source(), qat + ".name", "empty (expected: a query parameter name)");
            }
            if (q.value() == null) {
                add(r.source(), qat + ".value", "missing (expected: a value, or a regex when regex is set)");
            } else if (q.regex()) {
                try {
                    Pattern.compile(q.value());
                } catch (PatternSyntaxException e) {
                    add(r.source(), qat + ".value", "invalid regex: " + e.getDescription());
                }
            }
        }
        if (r.filters() != null) {
            checkFilters(r, r.filters(), at + ".filters");
        }
        if (r.directStatus() != null) {
            if (r.directStatus() < 200 || r.directStatus() > 599) {
                add(r.source(), at + ".directStatus", r.directStatus() + " (expected: 200..599)");
            }
            if ((r.service() != null && r.directShare() == null) || (r.filters() != null && r.filters().redirect() != null)) {
                add(r.source(), at + ".directStatus", "set beside a service or a redirect (expected: one answer per route, "
                        + "or a directShare beside a service)");
            }
        }
        Route.Share share = r.directShare();
        if (share != null) {
            if (r.directStatus() == null || r.service() == null) {
                add(r.source(), at + ".directShare", "without a directStatus and a service (expected: the share of requests "
                        + "answered with directStatus, the rest going to the service)");
            }
            if (share.of() < 2 || share.of() > Route.Share.MAX_OF || share.part() < 1 || share.part() >= share.of()) {
                add(r.source(), at + ".directShare", share.part() + " of " + share.of() + " (expected: 1 <= part < of <= "
                        + Route.Share.MAX_OF + ")");
            }
        }
        Route.KeyAuth ka = r.keyAuth();
        if (ka != null) {
            if (!ka.keyInHeader() && !ka.keyInQuery()) {
                add(r.source(), at + ".keyAuth", "neither keyInHeader nor keyInQuery (expected: at least one place to find a key)");
            }
            if (ka.anonymous() != null && !consumerIds.test(ka.anonymous())) {
                add(r.source(), at + ".keyAuth.anonymous", "\"" + ka.anonymous() + "\" is not a consumer of this snapshot");
            }
        }
    }

    /** Header names and values a filter may write, a redirect the proxy can build, paths in normal form. */
    private void checkFilters(Route r, RouteFilters f, String at) {
        checkEdits(r, f.request(), at + ".request");
        checkEdits(r, f.response(), at + ".response");
        if (f.fullPath() != null) {
            checkPath(r, f.fullPath(), at + ".fullPath");
        }
        RouteFilters.Redirect rd = f.redirect();
        if (rd == null) {
            return;
        }
        String rat = at + ".redirect";
        if (r.service() != null || f.fullPath() != null) {
            add(r.source(), rat, "set beside a service or a fullPath rewrite (expected: a redirect answers on its own)");
        }
        if (rd.scheme() != null && !rd.scheme().equals("http") && !rd.scheme().equals("https")) {
            add(r.source(), rat + ".scheme", "\"" + rd.scheme() + "\" (expected: http, https, or none for the request's)");
        }
        if (rd.hostname() != null && (rd.hostname().isEmpty() || rd.hostname().startsWith(Route.ANY_LABELS)
                || !validHost(rd.hostname()))) {
            add(r.source(), rat + ".hostname", "\"" + rd.hostname() + "\" (expected: a lower-case host name)");
        }
        if (rd.port() != null && (rd.port() < 1 || rd.port() > 65535)) {
            add(r.source(), rat + ".port", rd.port() + " (expected: 1..65535)");
        }
        if (rd.listenerPort() != null && (rd.listenerPort() < 1 || rd.listenerPort() > 65535)) {
            add(r.source(), rat + ".listenerPort", rd.listenerPort() + " (expected: 1..65535)");
        }
        if (rd.tlsListenerPort() != null && (rd.tlsListenerPort() < 1 || rd.tlsListenerPort() > 65535)) {
            add(r.source(), rat + ".tlsListenerPort", rd.tlsListenerPort() + " (expected: 1..65535)");
        }
        if (!RouteFilters.REDIRECT_STATUSES.contains(rd.statusCode())) {
            add(r.source(), rat + ".statusCode", rd.statusCode() + " (expected: 301, 302, 303, 307 or 308)");
        }
        if (rd.fullPath() != null && rd.prefix() != null) {
            add(r.source(), rat, "both fullPath and prefix (expected: at most one)");
        }
        if (rd.fullPath() != null) {
            checkPath(r, rd.fullPath(), rat + ".fullPath");
        }
        if (rd.prefix() != null) {
            checkPath(r, rd.prefix(), rat + ".prefix");
            if (r.paths().isEmpty() || r.paths().stream().anyMatch(p -> p.startsWith(Route.REGEX) || p.startsWith(Route.EXACT))) {
                add(r.source(), rat + ".prefix", "the route's paths are not all prefixes (expected: a prefix replacement "
                        + "on prefix paths only)");
            }
        }
    }

    private void checkEdits(Route r, RouteFilters.HeaderEdits e, String at) {
        if (e == null) {
            return;
        }
        for (int j = 0; j < e.set().size(); j++) {
            checkHeader(r, e.set().get(j), at + ".set[" + j + "]");
        }
        for (int j = 0; j < e.add().size(); j++) {
            checkHeader(r, e.add().get(j), at + ".add[" + j + "]");
        }
        for (int j = 0; j < e.remove().size(); j++) {
            String refused = RouteFilters.refusedName(e.remove().get(j));
            if (refused != null) {
                add(r.source(), at + ".remove[" + j + "]", refused);
            }
        }
    }

    private void checkHeader(Route r, RouteFilters.Header h, String at) {
        String name = RouteFilters.refusedName(h.name());
        if (name != null) {
            add(r.source(), at + ".name", name);
        }
        String value = RouteFilters.refusedValue(h.value());
        if (value != null) {
            add(r.source(), at + ".value", value);
        }
    }

    private void checkPath(Route r, String path, String at) {
        String normal;
        try {
            normal = path.startsWith("/") && path.indexOf('?') < 0 && path.indexOf('#') < 0 ? RequestPath.normalize(path) : null;
        } catch (RequestPath.Refused e) {
            normal = null;
        }
        if (!path.equals(normal) || path.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
            add(r.source(), at, "\"" + path + "\" (expected: an absolute path in normal form, without query)");
        }
    }

    void checkConsumers(List<Consumer> consumers) {
        Map<String, Map<KeyDigest, String>> byNamespace = new HashMap<>();
        for (int i = 0; i < consumers.size(); i++) {
            Consumer c = consumers.get(i);
            if ((c.username() == null || c.username().isBlank()) && (c.customId() == null || c.customId().isBlank())) {
                add(c.source(), "consumers[" + i + "].username", "empty (expected: a username or a customId)");
            }
            Map<KeyDigest, String> seen = byNamespace.computeIfAbsent(c.namespace(), ns -> new HashMap<>());
            for (int j = 0; j < c.credentials().size(); j++) {
                String owner = seen.putIfAbsent(c.credentials().get(j).digest(), c.id());
                if (owner != null && !owner.equals(c.id())) {
                    add(c.source(), "consumers[" + i + "].credentials[" + j + "]",
                            "key also belongs to consumer " + owner + " (expected: a key unique in its namespace)");
                }
            }
        }
    }

    /**
     * Each id that appears again, at its later place.
     *
     * @param index the index in the snapshot's list of the {@code i}th id given
     * @return the ids
     */
    Set<String> ids(List<String> ids, IntUnaryOperator index, String list) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < ids.size(); i++) {
            if (!seen.add(ids.get(i))) {
                add(null, list + "[" + index.applyAsInt(i) + "].id", "\"" + ids.get(i) + "\" appears twice (expected: unique ids)");
            }
        }
        return seen;
    }

    private void add(Source source, String field, String message) {
        problems.add(new Problem(source, field, message));
    }
}
