package dev.gatehouse.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.proxy.http.TrustedProxies;
import dev.gatehouse.proxy.observe.AccessLogDestination;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * X-Forwarded-* by the trusted-proxies rule, over real sockets, read from the exact bytes a
 * recording backend receives. The test client connects from 127.0.0.1: with no trusted proxies
 * it is a client that forges headers; with {@code 127.0.0.0/8} trusted it plays the load balancer.
 */
class ForwardedHeadersTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FORGED = "GET /r HTTP/1.1\r\nHost: gw.example:8000\r\n"
            + "X-Forwarded-For: 1.2.3.4\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\n"
            + "X-Forwarded-Port: 443\r\nForwarded: for=1.2.3.4;proto=https\r\nConnection: close\r\n\r\n";

    private final List<AutoCloseable> started = new ArrayList<>();
    private ProxyServer proxy;
    private SimpleMeterRegistry registry;

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) {
            proxy.close();
        }
        for (AutoCloseable c : started) {
            c.close();
        }
    }

    private RawBackend backend() throws Exception {
        RawBackend b = new RawBackend();
        started.add(b);
        return b;
    }

    private void start(String trusted, Upstream upstream, AccessLogDestination log) {
        registry = new SimpleMeterRegistry();
        proxy = ProxyServer.start(Fixtures.config().withTrustedProxies(TrustedProxies.parse(trusted)), registry, log);
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(service("default/s", upstream.id())),
                List.of(route("default/r", "default/s").paths("/").build()), List.of(upstream), List.of()))).isEmpty();
    }

    private double forwardedFor(String peer) {
        return registry.counter("gatehouse.forwarded.for", "peer", peer).count();
    }

    private RawBackend.Request only(RawBackend b) {
        assertThat(b.requests).hasSize(1);
        return b.requests.get(0);
    }

    @Test
    void anUntrustedPeerIsTheClientWhateverItWrote(@TempDir Path dir) throws Exception {
        RawBackend b = backend();
        Path log = dir.resolve("access.log");
        start("", upstream("default/u", b.port()), AccessLogDestination.file(log));
        assertThat(TestClient.raw(proxy.port(), FORGED).status()).isEqualTo(200);

        RawBackend.Request seen = only(b);
        assertThat(seen.header("x-forwarded-for")).containsExactly("127.0.0.1");
        assertThat(seen.header("x-forwarded-proto")).containsExactly("http");
        assertThat(seen.header("x-forwarded-host")).containsExactly("gw.example");
        assertThat(seen.header("x-forwarded-port")).containsExactly(String.valueOf(proxy.port()));
        assertThat(seen.header("forwarded")).isEmpty();
        assertThat(seen.head()).doesNotContain("1.2.3.4").doesNotContain("https").doesNotContain("evil.example");
        assertThat(forwardedFor("untrusted")).as("counted as replaced").isEqualTo(1);
        assertThat(forwardedFor("trusted")).isZero();

        proxy.close(); // writes what is queued
        proxy = null;
        JsonNode line = JSON.readTree(Files.readString(log).strip());
        assertThat(line.get("client").asText()).startsWith("127.0.0.1:");
        assertThat(line.get("peer").isNull()).isTrue();
    }

    @Test
    void aTrustedPeerHasThePeerAppendedAndItsForwardedHeadersKept(@TempDir Path dir) throws Exception {
        RawBackend b = backend();
        Path log = dir.resolve("access.log");
        start("127.0.0.0/8", upstream("default/u", b.port()), AccessLogDestination.file(log));
        assertThat(TestClient.raw(proxy.port(), "GET /r HTTP/1.1\r\nHost: gw.example\r\nX-Forwarded-For: 203.0.113.7\r\n"
                + "X-Forwarded-Proto: https\r\nX-Forwarded-Host: shop.example\r\nX-Forwarded-Port: 443\r\n"
                + "Forwarded: for=203.0.113.7;proto=https\r\nConnection: close\r\n\r\n").status()).isEqualTo(200);

        RawBackend.Request seen = only(b);
        assertThat(seen.header("x-forwarded-for")).containsExactly("203.0.113.7, 127.0.0.1");
        assertThat(seen.header("x-forwarded-proto")).containsExactly("https");
        assertThat(seen.header("x-forwarded-host")).containsExactly("shop.example");
        assertThat(seen.header("x-forwarded-port")).containsExactly("443");
        assertThat(seen.header("forwarded")).containsExactly("for=203.0.113.7;proto=https");
        assertThat(forwardedFor("trusted")).isEqualTo(1);
        assertThat(forwardedFor("untrusted")).isZero();

        proxy.close();
        proxy = null;
        JsonNode line = JSON.readTree(Files.readString(log).strip());
        assertThat(line.get("client").asText()).as("the real client, from X-Forwarded-For").isEqualTo("203.0.113.7");
        assertThat(line.get("peer").asText()).as("the trusted proxy it came through").startsWith("127.0.0.1:");
    }

    @Test
    void aTrustedPeerWithoutForwardedHeadersGetsTheProxysOwn() throws Exception {
        RawBackend b = backend();
        start("127.0.0.0/8", upstream("default/u", b.port()), AccessLogDestination.OFF);
        assertThat(TestClient.get(proxy.port(), "/r", "Host", "gw.example").status()).isEqualTo(200);
        RawBackend.Request seen = only(b);
        assertThat(seen.header("x-forwarded-for")).containsExactly("127.0.0.1");
        assertThat(seen.header("x-forwarded-proto")).containsExactly("http");
        assertThat(seen.header("x-forwarded-host")).containsExactly("gw.example");
        assertThat(seen.header("x-forwarded-port")).containsExactly(String.valueOf(proxy.port()));
    }

    @Test
    void severalXForwardedForLinesBecomeOne() throws Exception {
        RawBackend b = backend();
        start("", upstream("default/u", b.port()), AccessLogDestination.OFF);
        String twoLines = "GET /r HTTP/1.1\r\nHost: gw.example\r\nX-Forwarded-For: 198.51.100.1\r\n"
                + "X-Forwarded-For: 203.0.113.7, 10.0.0.5\r\nConnection: close\r\n\r\n";
        assertThat(TestClient.raw(proxy.port(), twoLines).status()).isEqualTo(200);
        assertThat(only(b).header("x-forwarded-for")).as("untrusted: exactly the peer").containsExactly("127.0.0.1");
        proxy.close();

        b.requests.clear();
        start("127.0.0.0/8", upstream("default/u", b.port()), AccessLogDestination.OFF);
        assertThat(TestClient.raw(proxy.port(), twoLines).status()).isEqualTo(200);
        assertThat(only(b).header("x-forwarded-for")).as("trusted: the lines in order, then the peer, on one line")
                .containsExactly("198.51.100.1, 203.0.113.7, 10.0.0.5, 127.0.0.1");
    }

    /**
     * ConsistentHash on ClientIP over four targets: behind a trusted proxy each real client keeps
     * one target and the clients spread over several; from an untrusted peer the forged addresses
     * are ignored and every request hashes the one peer (one target).
     */
    @Test
    void clientIpHashingUsesTheRealClientOnlyBehindATrustedProxy() throws Exception {
        List<RawBackend> backends = new ArrayList<>();
        List<Upstream.Target> targets = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            RawBackend b = backend();
            backends.add(b);
            targets.add(new Upstream.Target("127.0.0.1", b.port(), Upstream.Target.DEFAULT_WEIGHT));
        }
        Upstream hashed = new Upstream("default/u", Fixtures.source("Upstream", "default/u"), Upstream.Algorithm.CONSISTENT_HASH,
                new Upstream.HashOn(Upstream.HashSource.CLIENT_IP, null), null, targets, null, 0);
        int clients = 32;

        start("127.0.0.0/8", hashed, AccessLogDestination.OFF);
        for (int round = 0; round < 3; round++) {
            for (int c = 0; c < clients; c++) {
                // a new connection each time: a new source port, the same real client
                assertThat(TestClient.get(proxy.port(), "/c/" + c, "X-Forwarded-For", "198.51.100.9, 203.0.113." + c)
                        .status()).isEqualTo(200);
            }
        }
        Set<Integer> used = new HashSet<>();
        for (int c = 0; c < clients; c++) {
            Set<Integer> targetsOfClient = new HashSet<>();
            for (int i = 0; i < backends.size(); i++) {
                String path = "/c/" + c;
                if (backends.get(i).requests.stream().anyMatch(r -> r.path().equals(path))) {
                    targetsOfClient.add(i);
                }
            }
            assertThat(targetsOfClient).as("client 203.0.113.%d keeps one target", c).hasSize(1);
            used.addAll(targetsOfClient);
        }
        assertThat(used).as("the real clients spread over the targets").hasSizeGreaterThan(1);
        proxy.close();

        backends.forEach(b -> b.requests.clear());
        start("", hashed, AccessLogDestination.OFF);
        for (int c = 0; c < clients; c++) {
            assertThat(TestClient.get(proxy.port(), "/c/" + c, "X-Forwarded-For", "203.0.113." + c).status()).isEqualTo(200);
        }
        assertThat(backends).as("forged addresses from an untrusted peer steer nothing: one target takes all")
                .filteredOn(b -> !b.requests.isEmpty()).hasSize(1);
    }
}
