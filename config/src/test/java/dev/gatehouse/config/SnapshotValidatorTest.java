package dev.gatehouse.config;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SnapshotValidatorTest {

    @Test
    void aValidSnapshotHasNoProblems() {
        assertThat(SnapshotCodecTest.sample(1).validate()).isEmpty();
        assertThat(Snapshot.EMPTY.validate()).isEmpty();
    }

    @Test
    void everyProblemIsReportedWithItsPath() {
        Source us = new Source("Upstream", "default", "u", "u-1", 1);
        Source rs = new Source("GatewayRoute", "default", "r", "r-1", 1);
        Source ss = new Source("GatewayService", "default", "s", "s-1", 1);
        Source c1 = new Source("Consumer", "default", "a", "c-1", 1);
        Source c2 = new Source("Consumer", "default", "b", "c-2", 1);
        KeyDigest shared = KeyDigest.of("k");
        Snapshot bad = new Snapshot(1,
                List.of(new Service("default/s", ss, "default/missing", null, "/", null, -1, null)),
                List.of(new Route("default/r", rs, "default/nope", List.of("API.example.com", "+.*.example.com"), List.of("~(", "x", "=x", "=/exact"), null,
                        Map.of(), true, false, 0, new Route.KeyAuth(null, false, false, false, "ghost"))),
                List.of(new Upstream("default/u", us, Upstream.Algorithm.CONSISTENT_HASH, null, null,
                        List.of(new Upstream.Target("h", 0, 70000)), null, 0)),
                List.of(new Consumer("c-1", c1, "a", null, List.of(new Consumer.Credential("x", shared))),
                        new Consumer("c-2", c2, "b", null, List.of(new Consumer.Credential("y", shared)))));
        assertThat(bad.validate()).extracting(Problem::toString).containsExactlyInAnyOrder(
                "Upstream/default/u: upstreams[0].targets[0].port: 0 (expected: 1..65535)",
                "Upstream/default/u: upstreams[0].targets[0].weight: 70000 (expected: 0..65535)",
                "Upstream/default/u: upstreams[0].hashOn: missing (expected: a hash source for ConsistentHash)",
                "GatewayService/default/s: services[0].upstream: \"default/missing\" is not an upstream of this snapshot",
                "GatewayService/default/s: services[0].retries: -1 (expected: >= 0)",
                "GatewayRoute/default/r: routes[0].service: \"default/nope\" is not a service of this snapshot",
                "GatewayRoute/default/r: routes[0].paths[0]: invalid regex: Unclosed group",
                "GatewayRoute/default/r: routes[0].paths[1]: \"x\" (expected: a prefix starting with /, a regex starting with ~ or an exact path starting with =/)",
                "GatewayRoute/default/r: routes[0].paths[2]: \"=x\" (expected: a prefix starting with /, a regex starting with ~ or an exact path starting with =/)",
                "GatewayRoute/default/r: routes[0].hosts[0]: \"API.example.com\" (expected: a lower-case host name, *.suffix or +.suffix)",
                "GatewayRoute/default/r: routes[0].hosts[1]: \"+.*.example.com\" (expected: a lower-case host name, *.suffix or +.suffix)",
                "GatewayRoute/default/r: routes[0].keyAuth: neither keyInHeader nor keyInQuery (expected: at least one place to find a key)",
                "GatewayRoute/default/r: routes[0].keyAuth.anonymous: \"ghost\" is not a consumer of this snapshot",
                "Consumer/default/b: consumers[1].credentials[0]: key also belongs to consumer c-1 (expected: a key unique in its namespace)");
    }

    @Test
    void badFiltersQueryMatchesAndDirectAnswersAreReported() {
        Source rs = new Source("HTTPRoute", "default", "r", "r-1", 1);
        Upstream u = new Upstream("default/u", null, Upstream.Algorithm.ROUND_ROBIN, null, null,
                List.of(new Upstream.Target("127.0.0.1", 9001, 100)), null, 0);
        Service svc = new Service("default/s", null, "default/u", null, "/", null, 5, null);
        RouteFilters.HeaderEdits request = new RouteFilters.HeaderEdits(
                List.of(new RouteFilters.Header("X-Forwarded-For", "1.2.3.4"), new RouteFilters.Header("X Bad", "v")),
                List.of(new RouteFilters.Header("X-Ok", "line\r\nX-Injected: 1"), new RouteFilters.Header("x-consumer-id", "admin")),
                List.of("Connection", "Host"));
        RouteFilters.HeaderEdits response = new RouteFilters.HeaderEdits(null, List.of(new RouteFilters.Header("Content-Length", "0")),
                List.of("Transfer-Encoding"));
        Route edits = route(rs, "default/edits", "default/s", List.of("/"), List.of(new Route.QueryMatch("", "x", false),
                new Route.QueryMatch("id", "(", true)), new RouteFilters(request, response, null, "/a/../b"), null);
        Route redirect = route(rs, "default/redirect", "default/s", List.of("=/exact"), List.of(),
                new RouteFilters(null, null, new RouteFilters.Redirect("ftp", "*.example.com", 0, "/a", "/b", 200), "/c"), 500);
        Route direct = route(rs, "default/direct", null, List.of("/"), List.of(), null, 99);
        Snapshot bad = new Snapshot(1, List.of(svc), List.of(edits, redirect, direct), List.of(u), List.of());
        assertThat(bad.validate()).extracting(Problem::toString).containsExactlyInAnyOrder(
                "HTTPRoute/default/r: routes[0].queryParams[0].name: empty (expected: a query parameter name)",
                "HTTPRoute/default/r: routes[0].queryParams[1].value: invalid regex: Unclosed group",
                "HTTPRoute/default/r: routes[0].filters.request.set[0].name: \"X-Forwarded-For\" is set by the proxy itself and "
                        + "cannot be changed by a filter (hop-by-hop, framing, Host, X-Forwarded-*, Forwarded, Via, X-Request-Id "
                        + "and key-auth identity headers are reserved)",
                "HTTPRoute/default/r: routes[0].filters.request.set[1].name: \"X Bad\" (expected: a header name of letters, "
                        + "digits and !#$%&'*+-.^_`|~)",
                "HTTPRoute/default/r: routes[0].filters.request.add[0].value: a control or non-ASCII character at index 4 "
                        + "(expected: visible ASCII, spaces and tabs)",
                "HTTPRoute/default/r: routes[0].filters.request.add[1].name: \"x-consumer-id\" is set by the proxy itself and "
                        + "cannot be changed by a filter (hop-by-hop, framing, Host, X-Forwarded-*, Forwarded, Via, X-Request-Id "
                        + "and key-auth identity headers are reserved)",
                "HTTPRoute/default/r: routes[0].filters.request.remove[0]: \"Connection\" is set by the proxy itself and "
                        + "cannot be changed by a filter (hop-by-hop, framing, Host, X-Forwarded-*, Forwarded, Via, X-Request-Id "
                        + "and key-auth identity headers are reserved)",
                "HTTPRoute/default/r: routes[0].filters.request.remove[1]: \"Host\" is set by the proxy itself and "
                        + "cannot be changed by a filter (hop-by-hop, framing, Host, X-Forwarded-*, Forwarded, Via, X-Request-Id "
                        + "and key-auth identity headers are reserved)",
                "HTTPRoute/default/r: routes[0].filters.response.add[0].name: \"Content-Length\" is set by the proxy itself and "
                        + "cannot be changed by a filter (hop-by-hop, framing, Host, X-Forwarded-*, Forwarded, Via, X-Request-Id "
                        + "and key-auth identity headers are reserved)",
                "HTTPRoute/default/r: routes[0].filters.response.remove[0]: \"Transfer-Encoding\" is set by the proxy itself and "
                        + "cannot be changed by a filter (hop-by-hop, framing, Host, X-Forwarded-*, Forwarded, Via, X-Request-Id "
                        + "and key-auth identity headers are reserved)",
                "HTTPRoute/default/r: routes[0].filters.fullPath: \"/a/../b\" (expected: an absolute path in normal form, without query)",
                "HTTPRoute/default/r: routes[1].filters.redirect: set beside a service or a fullPath rewrite (expected: a redirect "
                        + "answers on its own)",
                "HTTPRoute/default/r: routes[1].filters.redirect.scheme: \"ftp\" (expected: http, https, or none for the request's)",
                "HTTPRoute/default/r: routes[1].filters.redirect.hostname: \"*.example.com\" (expected: a lower-case host name)",
                "HTTPRoute/default/r: routes[1].filters.redirect.port: 0 (expected: 1..65535)",
                "HTTPRoute/default/r: routes[1].filters.redirect.statusCode: 200 (expected: 301, 302, 303, 307 or 308)",
                "HTTPRoute/default/r: routes[1].filters.redirect: both fullPath and prefix (expected: at most one)",
                "HTTPRoute/default/r: routes[1].filters.redirect.prefix: the route's paths are not all prefixes (expected: a prefix "
                        + "replacement on prefix paths only)",
                "HTTPRoute/default/r: routes[1].directStatus: set beside a service or a redirect (expected: one answer per route, "
                        + "or a directShare beside a service)",
                "HTTPRoute/default/r: routes[2].directStatus: 99 (expected: 200..599)");
        Route noService = new Route("default/share", rs, null, List.of(), List.of("/"), List.of(), Map.of(), false, false, 0,
                null, null, false, false, null, null, null, 500, new Route.Share(1, 3));
        Route badShare = new Route("default/share2", rs, "default/s", List.of(), List.of("/"), List.of(), Map.of(), false, false,
                0, null, null, false, false, null, null, null, 500, new Route.Share(3, 3));
        assertThat(new Snapshot(1, List.of(svc), List.of(noService, badShare), List.of(u), List.of()).validate())
                .extracting(Problem::toString).containsExactlyInAnyOrder(
                        "HTTPRoute/default/r: routes[0].directShare: without a directStatus and a service (expected: the share "
                                + "of requests answered with directStatus, the rest going to the service)",
                        "HTTPRoute/default/r: routes[1].directShare: 3 of 3 (expected: 1 <= part < of <= 2147483648)");
        Route fine = route(rs, "default/fine", null, List.of("/a"), List.of(new Route.QueryMatch("id", "[0-9]+", true)),
                new RouteFilters(new RouteFilters.HeaderEdits(List.of(new RouteFilters.Header("X-Set", "a\tb")), null,
                        List.of("X-Remove")), null, new RouteFilters.Redirect("https", "example.org", 8443, null, "/b", 301), null), null);
        assertThat(new Snapshot(1, List.of(svc), List.of(fine), List.of(u), List.of()).validate()).isEmpty();
    }

    private static Route route(Source rs, String id, String service, List<String> paths, List<Route.QueryMatch> query,
                               RouteFilters filters, Integer direct) {
        return new Route(id, rs, service, List.of(), paths, List.of(), Map.of(), false, false, 0, null, null, false, false, null,
                query, filters, direct, null);
    }

    @Test
    void retryBudgetOutOfRangeIsReported() {
        Source ss = new Source("GatewayService", "default", "s", "s-1", 1);
        Upstream u = new Upstream("default/u", null, Upstream.Algorithm.ROUND_ROBIN, null, null,
                List.of(new Upstream.Target("127.0.0.1", 9001, 100)), null, 0);
        Snapshot bad = new Snapshot(1, List.of(new Service("default/s", ss, "default/u", null, "/", null, 5, null,
                new Service.RetryBudget(101, -1))), List.of(), List.of(u), List.of());
        assertThat(bad.validate()).extracting(Problem::toString).containsExactlyInAnyOrder(
                "GatewayService/default/s: services[0].retryBudget.percent: 101 (expected: 0..100)",
                "GatewayService/default/s: services[0].retryBudget.minConcurrency: -1 (expected: >= 0)");
        Snapshot edges = new Snapshot(1, List.of(new Service("default/s", ss, "default/u", null, "/", null, 5, null,
                new Service.RetryBudget(0, 0)), new Service("default/t", ss, "default/u", null, "/", null, 5, null,
                new Service.RetryBudget(100, Integer.MAX_VALUE))), List.of(), List.of(u), List.of());
        assertThat(edges.validate()).isEmpty();
    }

    @Test
    void certificatesAreUniqueSortedServedForNamesAndHoldPem() {
        String chain = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n";
        String key = "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n";
        Snapshot bad = new Snapshot(1, List.of(), List.of(), List.of(), List.of(), List.of(
                new Certificate("ns/b", List.of("a.example.com"), chain, key, 1, true),
                new Certificate("ns/a", List.of("a.example.com", "A.example.com"), chain, "-----BEGIN RSA PRIVATE KEY-----", 1, true),
                new Certificate("ns/c", List.of(), "", key, 1, false)));
        assertThat(bad.validate()).extracting(Problem::toString).containsExactlyInAnyOrder(
                "certificates[1].id: \"ns/a\" after \"ns/b\" (expected: unique ids, sorted)",
                "certificates[1].fallback: also ns/b (expected: at most one fallback certificate)",
                "certificates[1].serverNames[0]: \"a.example.com\" is also served by ns/b (expected: each name served by one certificate)",
                "certificates[1].serverNames[1]: \"A.example.com\" (expected: a lower-case host name, *.suffix or +.suffix)",
                "certificates[1].keyPem: not a PKCS#8 PEM key (expected: -----BEGIN PRIVATE KEY-----; the key is not shown)",
                "certificates[2].serverNames: empty (expected: the names it is served for, or fallback)",
                "certificates[2].chainPem: no PEM certificate (expected: the leaf first, then its intermediates)");
        assertThat(new Snapshot(1, List.of(), List.of(), List.of(), List.of(), List.of(
                new Certificate("ns/a", List.of("+.example.com"), chain, key, 1, false),
                new Certificate("ns/b", List.of(), chain, key, 1, true))).validate()).isEmpty();
    }
}
