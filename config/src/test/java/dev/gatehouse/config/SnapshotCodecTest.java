package dev.gatehouse.config;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SnapshotCodecTest {

    static Snapshot sample(long version) {
        Source us = new Source("Upstream", "default", "moesif", "u-1", 1);
        Source ss = new Source("GatewayService", "default", "moesif-service", "s-1", 2);
        Source rs = new Source("GatewayRoute", "default", "profile", "r-1", 3);
        Source cs = new Source("Consumer", "default", "moesif", "c-1", 1);
        return new Snapshot(version,
                List.of(new Service("default/moesif-service", ss, "default/moesif", Service.Protocol.HTTP, "/", null, 5,
                        Service.Timeouts.DEFAULT)),
                List.of(new Route("default/profile", rs, "default/moesif-service", List.of("api.example.com"),
                        List.of("/profile", "~/users/\\d+$"), List.of("GET"), Map.of("x-version", List.of("v1"), "a", List.of("b")),
                        false, false, 0, new Route.KeyAuth(null, true, true, true, null))),
                List.of(new Upstream("default/moesif", us, Upstream.Algorithm.ROUND_ROBIN, null, null,
                        List.of(new Upstream.Target("127.0.0.1", 9001, 100), new Upstream.Target("::1", 9002, 0)),
                        new Upstream.HealthChecks(new Upstream.Active("/healthz", 5000, 1000, 2, 3, List.of(200)),
                                new Upstream.Passive(5, 30000, 50)), 0)),
                List.of(new Consumer("c-1", cs, "moesif", "crm-42",
                        List.of(new Consumer.Credential("sec-1", KeyDigest.of("my-secret-key"))))));
    }

    @Test
    void roundTripGivesAnEqualSnapshotAndEqualBytes() {
        Snapshot s = sample(7);
        byte[] json = SnapshotCodec.toJson(s);
        Snapshot back = SnapshotCodec.snapshotFromJson(json);
        assertThat(back).isEqualTo(s);
        assertThat(SnapshotCodec.toJson(back)).isEqualTo(json);
    }

    @Test
    void filtersQueryMatchesAndDirectStatusRoundTrip() {
        Snapshot a = sample(3);
        Route r = a.routes().get(0);
        RouteFilters f = new RouteFilters(new RouteFilters.HeaderEdits(List.of(new RouteFilters.Header("X-Set", "v")),
                List.of(new RouteFilters.Header("X-Add", "w")), List.of("X-Remove")), new RouteFilters.HeaderEdits(null, null,
                List.of("Server")), new RouteFilters.Redirect("https", "example.org", 8443, null, "/new", 301), null);
        Route filtered = new Route(r.id(), r.source(), null, r.hosts(), List.of("/profile"), r.methods(), r.headers(),
                r.stripPath(), r.preserveHost(), r.priority(), r.keyAuth(), null, false, false, null,
                List.of(new Route.QueryMatch("id", "[0-9]+", true)), f, null, null);
        Snapshot b = new Snapshot(3, a.services(), List.of(filtered, r.withHttpsRedirect(true)), a.upstreams(), a.consumers());
        byte[] json = SnapshotCodec.toJson(b);
        assertThat(SnapshotCodec.snapshotFromJson(json)).isEqualTo(b);
        assertThat(new String(json, java.nio.charset.StandardCharsets.UTF_8))
                .contains("\"queryParams\":[{\"name\":\"id\",\"value\":\"[0-9]+\",\"regex\":true}]")
                .contains("\"redirect\":{\"scheme\":\"https\",\"hostname\":\"example.org\",\"port\":8443,\"prefix\":\"/new\","
                        + "\"statusCode\":301}");
        assertThat(new Snapshot(3, a.services(), List.of(filtered), a.upstreams(), a.consumers()).validate()).isEmpty();
        assertThat(r.withHttpsRedirect(true)).extracting(Route::service, Route::httpsRedirect, Route::paths)
                .containsExactly(r.service(), true, r.paths());
    }

    @Test
    void aServiceWithoutARetryBudgetGetsTheDefault() {
        // a snapshot from a controller that predates the field
        String json = new String(SnapshotCodec.toJson(sample(1)));
        assertThat(json).contains(",\"retryBudget\":{\"percent\":20,\"minConcurrency\":3}");
        Snapshot s = SnapshotCodec.snapshotFromJson(json.replace(",\"retryBudget\":{\"percent\":20,\"minConcurrency\":3}", "")
                .getBytes());
        assertThat(s).isEqualTo(sample(1));
        assertThat(s.services().get(0).retryBudget()).isEqualTo(new Service.RetryBudget(20, 3))
                .isEqualTo(Service.RetryBudget.DEFAULT);
        Service set = new Service("default/s", null, "default/u", null, "/", null, 5, null, new Service.RetryBudget(50, 1));
        assertThat(new String(SnapshotCodec.toJson(set))).contains("\"retryBudget\":{\"percent\":50,\"minConcurrency\":1}");
        assertThat(SnapshotCodec.fromJson(SnapshotCodec.toJson(set), Service.class)).isEqualTo(set);
    }

    @Test
    void hashIgnoresVersionAndFollowsContent() {
        String h7 = SnapshotCodec.contentHash(sample(7));
        assertThat(h7).hasSize(64).isEqualTo(SnapshotCodec.contentHash(sample(8)));
        Snapshot changed = sample(7);
        Upstream u = changed.upstreams().get(0);
        Snapshot other = new Snapshot(7, changed.services(), changed.routes(),
                List.of(new Upstream(u.id(), u.source(), u.algorithm(), null, null,
                        List.of(new Upstream.Target("127.0.0.1", 9001, 101)), null, 0)),
                changed.consumers());
        assertThat(SnapshotCodec.contentHash(other)).isNotEqualTo(h7);
    }

    @Test
    void hashIsStableAcrossMapOrder() {
        // headers is a Map: its iteration order must not change the bytes
        Snapshot a = sample(1);
        Route r = a.routes().get(0);
        Route reordered = new Route(r.id(), r.source(), r.service(), r.hosts(), r.paths(), r.methods(),
                new java.util.LinkedHashMap<>(Map.of("a", List.of("b"), "x-version", List.of("v1"))),
                r.stripPath(), r.preserveHost(), r.priority(), r.keyAuth());
        Snapshot b = new Snapshot(1, a.services(), List.of(reordered), a.upstreams(), a.consumers());
        assertThat(SnapshotCodec.contentHash(b)).isEqualTo(SnapshotCodec.contentHash(a));
    }

    @Test
    void theHashOfAKnownSnapshotNeverChangesByAccident() {
        // pinned: a change here means proxies and controllers of different builds disagree
        assertThat(SnapshotCodec.contentHash(Snapshot.EMPTY))
                .isEqualTo(SnapshotCodec.contentHash(new Snapshot(99, null, null, null, null)));
    }

    @Test
    void keyDigestNeverPrintsItself() {
        KeyDigest d = KeyDigest.of("my-secret-key");
        assertThat(d.toString()).isEqualTo("[redacted]");
        assertThat(sample(1).toString()).doesNotContain("my-secret-key").doesNotContain(d.toHex());
        assertThat(d.matches(KeyDigest.of("my-secret-key"))).isTrue();
        assertThat(d.matches(KeyDigest.of("my-secret-kez"))).isFalse();
        assertThat(KeyDigest.fromHex(d.toHex())).isEqualTo(d);
        assertThatThrownBy(() -> KeyDigest.fromHex("abc")).hasMessageContaining("expected: SHA-256");
    }

    @Test
    void durations() {
        assertThat(Durations.parseMillis("5s")).isEqualTo(5000);
        assertThat(Durations.parseMillis("500ms")).isEqualTo(500);
        assertThat(Durations.parseMillis("1m30s")).isEqualTo(90_000);
        assertThat(Durations.parseMillis("1.5h")).isEqualTo(5_400_000);
        assertThatThrownBy(() -> Durations.parseMillis("5")).hasMessageContaining("\"5\" is not a duration");
        assertThatThrownBy(() -> Durations.parseMillis("5 s")).isInstanceOf(IllegalArgumentException.class);
    }
}
