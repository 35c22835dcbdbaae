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
