package dev.gatehouse.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.KeyDigest;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.observe.AccessLogDestination;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A kept-alive HTTP/1.1 connection carries its requests on one exchange, started again for each
 * (docs/decisions.md, "One exchange per connection"): nothing of one request may reach the next —
 * not its consumer, body count, target, retries or status in the access log, not its headers
 * upstream, not its upstream connection when the client left mid-response.
 */
class KeptAliveExchangeTest extends ProxyTestBase {
    private static final String KEY = "s3cret-alice-key";

    private static Snapshot snapshot(int... ports) {
        Consumer alice = new Consumer("uid-alice", Fixtures.source("Consumer", "default/alice"), "alice", null,
                List.of(new Consumer.Credential("cred-alice", KeyDigest.of(KEY))));
        return Fixtures.snapshot(1, List.of(service("default/s", "default/u")),
                List.of(route("default/open", "default/s").paths("/open").stripPath(false).build(),
                        route("default/keyed", "default/s").paths("/k").stripPath(false)
                                .keyAuth(new Route.KeyAuth(List.of(), true, true, false, null)).build()),
                List.of(upstream("default/u", ports)), List.of(alice));
    }

    private static JsonNode line(List<JsonNode> log, String requestId) {
        return log.stream().filter(n -> n.get("request_id").asText().equals(requestId)).findFirst().orElseThrow();
    }

    /**
     * Keyed POSTs with a body and open GETs alternate on one connection over a live and a refusing
     * target, so some requests are retried after one that was not (and the other way round).
     */
    @Test
    void aKeptAliveConnectionsRetriedRequestsCarryNothingOfTheRequestsBefore(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.log");
        Backend live = backend("live");
        int dead = Backend.deadPort();
        proxy = ProxyServer.start(Fixtures.config(), new SimpleMeterRegistry(), AccessLogDestination.file(file));
        assertThat(proxy.apply(snapshot(dead, live.port()))).isEmpty();
        int n = 8;
        try (Http1Client c = new Http1Client(proxy.port())) {
            for (int i = 0; i < n; i++) {
                if (i % 2 == 0) {
                    c.write("POST /k/" + i + " HTTP/1.1\r\nHost: h\r\napikey: " + KEY + "\r\nX-Request-Id: req-" + i
                            + "\r\nContent-Length: 5\r\n\r\nhello");
                } else {
                    c.write("GET /open/" + i + " HTTP/1.1\r\nHost: h\r\nX-Request-Id: req-" + i + "\r\n\r\n");
                }
                Http1Client.Reply r = c.read();
                assertThat(r.status()).as("request " + i).isEqualTo(200);
                assertThat(r.header("x-request-id")).isEqualTo("req-" + i);
                assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo((i % 2 == 0 ? "POST /k/" : "GET /open/") + i);
            }
        } finally {
            proxy.close(); // writes what is queued
            proxy = null;
        }
        assertThat(live.seen).hasSize(n);
        for (int i = 0; i < n; i++) {
            Backend.Seen s = live.seen.get(i);
            assertThat(s.header("x-request-id")).isEqualTo("req-" + i);
            if (i % 2 == 0) {
                assertThat(s.header("x-consumer-username")).isEqualTo("alice");
                assertThat(s.bodyBytes()).isEqualTo(5);
            } else {
                assertThat(s.header("x-consumer-username")).as("request %d after a keyed one", i).isNull();
                assertThat(s.header("x-consumer-id")).isNull();
                assertThat(s.bodyBytes()).isZero();
            }
        }
        List<JsonNode> log = Fixtures.accessLog(file);
        assertThat(log).hasSize(n);
        int retried = 0;
        for (int i = 0; i < n; i++) {
            JsonNode l = line(log, "req-" + i);
            assertThat(l.get("status").asInt()).isEqualTo(200);
            assertThat(l.get("target").asText()).isEqualTo("127.0.0.1:" + live.port());
            assertThat(l.get("path").asText()).isEqualTo(i % 2 == 0 ? "/k/" + i : "/open/" + i);
            assertThat(l.get("method").asText()).isEqualTo(i % 2 == 0 ? "POST" : "GET");
            assertThat(l.get("bytes_in").asLong()).as("request %d's body", i).isEqualTo(i % 2 == 0 ? 5 : 0);
            assertThat(l.get("route").asText()).isEqualTo(i % 2 == 0 ? "default/keyed" : "default/open");
            if (i % 2 == 0) {
                assertThat(l.get("consumer").asText()).isEqualTo("alice");
            } else {
                assertThat(l.get("consumer").isNull()).as("request %d's consumer", i).isTrue();
            }
            retried += l.get("retries").asInt();
            assertThat(l.get("retries").asInt()).isBetween(0, 1);
        }
        assertThat(retried).as("requests that went to the refusing target first").isPositive().isLessThan(n);
    }

    /**
     * Pipelined requests in one write: the proxy's own answers (401, 404) finish inside the start
     * of the one before, on the same exchange, and the served ones after them see their own heads.
     */
    @Test
    void pipelinedRequestsAnsweredByTheProxyAndATargetEachGetTheirOwnAnswer(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.log");
        Backend b = backend("b");
        proxy = ProxyServer.start(Fixtures.config(), new SimpleMeterRegistry(), AccessLogDestination.file(file));
        assertThat(proxy.apply(snapshot(b.port()))).isEmpty();
        String[] requests = {
            "GET /k/1 HTTP/1.1\r\nHost: h\r\napikey: " + KEY + "\r\nX-Request-Id: p-1\r\n\r\n",
            "GET /k/2 HTTP/1.1\r\nHost: h\r\napikey: wrong\r\nX-Request-Id: p-2\r\n\r\n",
            "GET /nothing HTTP/1.1\r\nHost: h\r\nX-Request-Id: p-3\r\n\r\n",
            "POST /open/4 HTTP/1.1\r\nHost: h\r\nX-Request-Id: p-4\r\nContent-Length: 3\r\n\r\nabc",
            "GET /open/5 HTTP/1.1\r\nHost: h\r\nX-Request-Id: p-5\r\n\r\n",
        };
        int[] statuses = {200, 401, 404, 200, 200};
        try (Http1Client c = new Http1Client(proxy.port())) {
            c.write(String.join("", requests));
            for (int i = 0; i < requests.length; i++) {
                Http1Client.Reply r = c.read();
                assertThat(r.status()).as("pipelined request %d", i + 1).isEqualTo(statuses[i]);
                assertThat(r.header("x-request-id")).isEqualTo("p-" + (i + 1));
            }
        } finally {
            proxy.close();
            proxy = null;
        }
        assertThat(b.seen).extracting(Backend.Seen::uri).containsExactly("/k/1", "/open/4", "/open/5");
        assertThat(b.seen.get(0).header("x-consumer-username")).isEqualTo("alice");
        assertThat(b.seen.get(1).header("x-consumer-username")).isNull();
        assertThat(b.seen.get(1).bodyBytes()).isEqualTo(3);
        assertThat(b.seen.get(2).header("x-consumer-username")).isNull();
        assertThat(b.seen.get(2).bodyBytes()).isZero();
        List<JsonNode> log = Fixtures.accessLog(file);
        assertThat(log).hasSize(requests.length);
        assertThat(line(log, "p-2").get("target").isNull()).as("a refused request after a served one").isTrue();
        assertThat(line(log, "p-2").get("upstream_latency_ms").isNull()).isTrue();
        assertThat(line(log, "p-3").get("route").isNull()).isTrue();
        assertThat(line(log, "p-3").get("consumer").isNull()).isTrue();
        assertThat(line(log, "p-4").get("bytes_in").asLong()).isEqualTo(3);
        assertThat(line(log, "p-5").get("bytes_in").asLong()).isZero();
        assertThat(line(log, "p-5").get("status").asInt()).isEqualTo(200);
    }

    /**
     * A POST with a body pipelined behind a proxied GET, and a chunked one behind it, in one
     * write: each waits until the request before it is answered, and the target reads every
     * request's exact bytes — request line, fields, framing and body — on one connection. (A body
     * taken from the waiting queue after the previous exchange finished on the target's read was
     * once written and never flushed: the POST hung until the client gave up.)
     */
    @Test
    void aPostPipelinedBehindAProxiedGetReachesTheTargetByteForByte() throws Exception {
        RawBackend raw = new RawBackend();
        closeables.add(raw);
        proxy = ProxyServer.start(Fixtures.config());
        assertThat(proxy.apply(snapshot(raw.port()))).isEmpty();
        String fields = "x-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: h\r\n"
                + "x-forwarded-port: " + proxy.port() + "\r\nvia: 1.1 gatehouse\r\nhost: 127.0.0.1:" + raw.port() + "\r\n";
        try (TestClient c = new TestClient(proxy.port())) {
            c.write("GET /open/1 HTTP/1.1\r\nHost: h\r\nX-Request-Id: q-1\r\n\r\n"
                    + "POST /open/2 HTTP/1.1\r\nHost: h\r\nX-Request-Id: q-2\r\nContent-Type: text/plain\r\n"
                    + "Content-Length: 11\r\n\r\nhello world"
                    + "POST /open/3 HTTP/1.1\r\nHost: h\r\nX-Request-Id: q-3\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\nfirst\r\n6\r\nsecond\r\n0\r\n\r\n");
            String[] answers = {"GET /open/1", "POST /open/2", "POST /open/3"};
            for (int i = 0; i < answers.length; i++) {
                TestClient.Response r = c.read(false);
                assertThat(r.status()).as("pipelined request %d", i + 1).isEqualTo(200);
                assertThat(r.header("x-request-id")).isEqualTo("q-" + (i + 1));
                assertThat(r.body()).isEqualTo(answers[i]);
            }
        }
        assertThat(raw.connections()).as("every request on one upstream connection").isEqualTo(1);
        assertThat(raw.wire(0)).isEqualTo(
                "GET /open/1 HTTP/1.1\r\nx-request-id: q-1\r\n" + fields + "\r\n"
                + "POST /open/2 HTTP/1.1\r\nContent-Type: text/plain\r\nx-request-id: q-2\r\ncontent-length: 11\r\n" + fields
                + "\r\nhello world"
                + "POST /open/3 HTTP/1.1\r\nx-request-id: q-3\r\ntransfer-encoding: chunked\r\n" + fields + "\r\n"
                + "5\r\nfirst\r\n6\r\nsecond\r\n0\r\n\r\n");
        assertThat(raw.requests).extracting(r -> new String(r.body(), StandardCharsets.ISO_8859_1))
                .containsExactly("", "hello world", "firstsecond");
        assertThat(raw.leftover()).isEmpty();
    }

    /**
     * A client that leaves mid-response: its exchange is abandoned, never started again, and its
     * upstream connection is closed, not pooled; the next request (on a new connection) goes over
     * a new upstream connection and gets its own, complete answer.
     */
    @Test
    void aClientLeavingMidResponseLeavesNothingToTheNextRequest() throws Exception {
        CountDownLatch headSent = new CountDownLatch(1);
        CountDownLatch clientGone = new CountDownLatch(1);
        Backend b = backend("b");
        b.handler((ex, seen) -> {
            if (seen.uri().equals("/open/slow")) {
                ex.sendResponseHeaders(200, 0); // chunked
                ex.getResponseBody().write("part one;".getBytes(StandardCharsets.US_ASCII));
                ex.getResponseBody().flush();
                headSent.countDown();
                try {
                    clientGone.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                try {
                    ex.getResponseBody().write("part two".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // the proxy closed the connection: expected
                }
                return;
            }
            Backend.echo(ex, seen);
        });
        proxy = ProxyServer.start(Fixtures.config());
        assertThat(proxy.apply(snapshot(b.port()))).isEmpty();
        try (Socket s = new Socket("127.0.0.1", proxy.port())) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write("GET /open/slow HTTP/1.1\r\nHost: h\r\nX-Request-Id: gone-1\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            assertThat(headSent.await(20, TimeUnit.SECONDS)).isTrue();
            byte[] buf = new byte[9];
            assertThat(s.getInputStream().read(buf)).isPositive(); // the head is on its way
        }
        clientGone.countDown();
        try (Http1Client c = new Http1Client(proxy.port())) {
            c.write("GET /open/next HTTP/1.1\r\nHost: h\r\nX-Request-Id: next-2\r\n\r\n");
            Http1Client.Reply r = c.read();
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.header("x-request-id")).isEqualTo("next-2");
            assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("GET /open/next");
        }
        assertThat(b.seen).hasSize(2);
        assertThat(b.seen.get(1).header("x-request-id")).isEqualTo("next-2");
        assertThat(b.seen.get(1).remotePort()).as("the abandoned response's upstream connection is not reused")
                .isNotEqualTo(b.seen.get(0).remotePort());
    }
}
