package dev.gatehouse.proxy;

import dev.gatehouse.config.Route;
import dev.gatehouse.proxy.observe.AccessLogDestination;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.gatehouse.proxy.Fixtures.consumer;
import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * h2c with prior knowledge through the proxy to HTTP/1.1 targets, with Netty's HTTP/2 client:
 * the exact bytes a recording backend receives (Host from {@code :authority}, no pseudo-header
 * or Netty conversion field, the body framed as decoded), key-auth, the checks of
 * {@code Http2RequestCheck} and of Netty's codec, and 50 streams at once on one connection.
 */
class Http2ProxyTest {
    private static RawBackend raw;
    private static Backend backend;
    private static SimpleMeterRegistry registry;
    private static ProxyServer proxy;
    private static java.nio.file.Path accessLog;

    @BeforeAll
    static void start() throws Exception {
        raw = new RawBackend();
        backend = new Backend("b");
        registry = new SimpleMeterRegistry();
        accessLog = java.nio.file.Files.createTempFile("h2-access", ".log");
        proxy = ProxyServer.start(Fixtures.config(), registry, AccessLogDestination.file(accessLog));
        assertThat(proxy.apply(Fixtures.snapshot(1,
                List.of(service("default/raw", "default/uraw"), service("default/b", "default/ub")),
                List.of(route("default/raw", "default/raw").paths("/raw").stripPath(false).preserveHost(true).build(),
                        route("default/keyed", "default/b").paths("/keyed").keyAuth(new Route.KeyAuth(List.of("apikey"),
                                true, true, true, null)).build(),
                        route("default/b", "default/b").paths("/").build()),
                List.of(upstream("default/uraw", raw.port()), upstream("default/ub", backend.port())),
                List.of(consumer("default/ann", "ann", "anns-key"))))).isEmpty();
    }

    @AfterAll
    static void stop() throws java.io.IOException {
        proxy.close();
        java.nio.file.Files.deleteIfExists(accessLog);
        backend.close();
        raw.close();
    }

    @BeforeEach
    void reset() {
        raw.requests.clear();
        raw.received.clear();
        backend.handler(Backend::echo);
    }

    private static double refused(String reason) {
        var c = registry.find("gatehouse.client.refused").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void getReachesTheTargetAsHttp11WithHostFromAuthority() throws Exception {
        try (H2Client c = new H2Client(proxy.port())) {
            Http2Headers h = H2Client.headers("GET", "/raw/a?q=1", "api.example.test").add("x-request-id", "req-h2-get")
                    .add("user-agent", "h2-test").add("x-consumer-id", "forged");
            H2Client.Response r = c.exchange(h, null);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).isEqualTo("GET /raw/a?q=1");
            assertThat(r.header("x-request-id")).isEqualTo("req-h2-get");
            assertThat(r.header("via")).isEqualTo("1.1 gatehouse");
        }
        assertThat(raw.requests).hasSize(1);
        assertThat(raw.requests.get(0).head()).isEqualTo("GET /raw/a?q=1 HTTP/1.1\r\n"
                + "user-agent: h2-test\r\n"
                + "x-request-id: req-h2-get\r\n"
                + "x-forwarded-for: 127.0.0.1\r\n"
                + "x-forwarded-proto: http\r\n"
                + "x-forwarded-host: api.example.test\r\n"
                + "x-forwarded-port: " + proxy.port() + "\r\n"
                + "via: 1.1 gatehouse\r\n"
                + "host: api.example.test\r\n");
        assertThat(raw.leftover()).isEmpty();
    }

    @Test
    void postWithContentLengthAndPostWithoutArriveFramedAsDecoded() throws Exception {
        try (H2Client c = new H2Client(proxy.port())) {
            H2Client.Response sized = c.exchange(H2Client.headers("POST", "/raw/sized", "a").add("x-request-id", "req-1")
                    .add("content-length", "5"), "hello".getBytes(StandardCharsets.US_ASCII));
            H2Client.Response streamed = c.exchange(H2Client.headers("POST", "/raw/streamed", "a").add("x-request-id", "req-2"),
                    "hello world".getBytes(StandardCharsets.US_ASCII));
            assertThat(sized.status()).isEqualTo(200);
            assertThat(streamed.status()).isEqualTo(200);
        }
        assertThat(raw.requests).hasSize(2);
        RawBackend.Request sized = raw.requests.get(0);
        RawBackend.Request streamed = raw.requests.get(1);
        assertThat(sized.header("content-length")).containsExactly("5");
        assertThat(sized.header("transfer-encoding")).isEmpty();
        assertThat(new String(sized.body(), StandardCharsets.US_ASCII)).isEqualTo("hello");
        assertThat(streamed.header("transfer-encoding")).containsExactly("chunked");
        assertThat(streamed.header("content-length")).isEmpty();
        assertThat(streamed.raw()).endsWith("\r\n\r\nb\r\nhello world\r\n0\r\n\r\n");
        for (RawBackend.Request r : raw.requests) {
            assertThat(r.head()).doesNotContain("x-http2").doesNotContain("\r\n:");
            assertThat(r.header("host")).containsExactly("a");
        }
        assertThat(raw.leftover()).isEmpty();
    }

    @Test
    void keyAuthAnswers401OverHttp2AndSendsTheConsumerOnly() throws Exception {
        try (H2Client c = new H2Client(proxy.port())) {
            H2Client.Response none = c.exchange(H2Client.headers("GET", "/keyed", "a"), null);
            assertThat(none.status()).isEqualTo(401);
            assertThat(none.header("www-authenticate")).isEqualTo("Key realm=\"gatehouse\"");
            assertThat(none.text()).contains("No API key found in request");
            H2Client.Response wrong = c.exchange(H2Client.headers("GET", "/keyed", "a").add("apikey", "nope"), null);
            assertThat(wrong.status()).isEqualTo(401);
            H2Client.Response ok = c.exchange(H2Client.headers("GET", "/keyed", "a").add("apikey", "anns-key")
                    .add("x-consumer-username", "mallory"), null);
            assertThat(ok.status()).isEqualTo(200);
        }
        Backend.Seen seen = backend.seen.get(backend.seen.size() - 1);
        assertThat(seen.header("x-consumer-username")).isEqualTo("ann");
        assertThat(seen.headers().get("x-consumer-username")).hasSize(1);
        assertThat(seen.header("apikey")).isNull();
    }

    @Test
    void anAnswerBeforeTheBodyIsWholeThenTheStreamIsResetNoError() throws Exception {
        try (H2Client c = new H2Client(proxy.port())) {
            H2Client.Stream s = c.open();
            s.channel.writeAndFlush(new io.netty.handler.codec.http2.DefaultHttp2HeadersFrame(
                    H2Client.headers("POST", "/keyed", "a").add("content-length", "100000"), false));
            H2Client.Response r = s.response.get(10, TimeUnit.SECONDS);
            assertThat(r.status()).isEqualTo(401);
            assertThat(r.text()).startsWith("{\"message\":\"No API key found in request\"").endsWith("}");
            assertThat(r.bodyBytes()).isEqualTo(Long.parseLong(r.header("content-length")));
            assertThat(s.reset.get(10, TimeUnit.SECONDS)).as("the client may stop sending").isEqualTo(Http2Error.NO_ERROR.code());
            assertThat(c.exchange(H2Client.headers("GET", "/keyed", "a").add("apikey", "anns-key"), null).status()).isEqualTo(200);
        }
    }

    @Test
    void authorityAndADifferentHostResetTheStreamTheSameOneIsOneHost() throws Exception {
        try (H2Client c = new H2Client(proxy.port())) {
            // RFC 9113 §8.3.1: malformed, a stream error
            H2Client.Response differ = c.exchange(H2Client.headers("GET", "/raw/h", "a").add("host", "b"), null);
            assertThat(differ.resetError()).isEqualTo(Http2Error.PROTOCOL_ERROR.code());
            H2Client.Response same = c.exchange(H2Client.headers("GET", "/raw/h", "a").add("host", "A"), null);
            assertThat(same.status()).isEqualTo(200);
            H2Client.Response hostOnly = c.exchange(new io.netty.handler.codec.http2.DefaultHttp2Headers().method("GET")
                    .path("/raw/h").scheme("http").add("host", "c"), null);
            assertThat(hostOnly.status()).isEqualTo(200);
            H2Client.Response absolute = c.exchange(H2Client.headers("GET", "http://a/raw/h", "a"), null);
            assertThat(absolute.status()).isEqualTo(400);
        }
        assertThat(raw.requests).extracting(r -> r.header("host")).containsExactly(List.of("a"), List.of("c"));
    }

    @Test
    void connectionSpecificHeaderResetsTheStreamNotTheConnection() throws Exception {
        double before = refused("http2_malformed");
        try (H2Client c = new H2Client(proxy.port())) {
            H2Client.Response r = c.exchange(H2Client.headers("GET", "/raw/x", "a").add("connection", "keep-alive"), null);
            assertThat(r.resetError()).isEqualTo(Http2Error.PROTOCOL_ERROR.code());
            H2Client.Response te = c.exchange(H2Client.headers("GET", "/raw/x", "a").add("te", "gzip"), null);
            assertThat(te.resetError()).isEqualTo(Http2Error.PROTOCOL_ERROR.code());
            H2Client.Response after = c.exchange(H2Client.headers("GET", "/raw/x", "a"), null);
            assertThat(after.status()).isEqualTo(200);
        }
        assertThat(raw.requests).hasSize(1);
        assertThat(refused("http2_malformed") - before).isEqualTo(2);
    }

    @Test
    void headerListAboveTheLimitIs431() throws Exception {
        try (H2Client c = new H2Client(proxy.port())) {
            H2Client.Response r = c.exchange(H2Client.headers("GET", "/raw/big", "a")
                    .add("x-big", "b".repeat(ClientLimits.DEFAULTS.maxHeaderSize())), null);
            assertThat(r.status()).isEqualTo(431);
            H2Client.Response after = c.exchange(H2Client.headers("GET", "/raw/ok", "a"), null);
            assertThat(after.status()).isEqualTo(200);
        }
        assertThat(raw.requests).extracting(RawBackend.Request::path).containsExactly("/raw/ok");
    }

    @Test
    void tooManyHeaderFieldsIs431AndAContentLengthTheDataBeliesIsReset() throws Exception {
        try (H2Client c = new H2Client(proxy.port())) {
            Http2Headers many = H2Client.headers("GET", "/raw/many", "a");
            for (int i = 0; i <= ClientLimits.DEFAULTS.maxHeaders(); i++) {
                many.add("x-f" + i, "v");
            }
            H2Client.Response r = c.exchange(many, null);
            assertThat(r.status()).isEqualTo(431);
            assertThat(r.text()).contains("too many header fields");
            H2Client.Response lying = c.exchange(H2Client.headers("POST", "/raw/lying", "a").add("content-length", "10"),
                    "hello".getBytes(StandardCharsets.US_ASCII));
            assertThat(lying.resetError()).isEqualTo(Http2Error.PROTOCOL_ERROR.code());
        }
        assertThat(raw.requests.stream().filter(r -> r.path().equals("/raw/lying") && r.body().length == 10)).isEmpty();
        assertThat(raw.requests).noneMatch(r -> r.path().equals("/raw/many"));
    }

    @Test
    void anInterimResponseIsRelayedBeforeTheFinalOne() throws Exception {
        raw.responder(r -> ("HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").getBytes(StandardCharsets.ISO_8859_1));
        try (H2Client c = new H2Client(proxy.port())) {
            H2Client.Stream s = c.open();
            s.channel.writeAndFlush(new io.netty.handler.codec.http2.DefaultHttp2HeadersFrame(
                    H2Client.headers("GET", "/raw/hints", "a"), true));
            assertThat(s.head.get(10, TimeUnit.SECONDS).status().toString()).isEqualTo("103");
            H2Client.Response r = s.response.get(10, TimeUnit.SECONDS);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.text()).isEqualTo("ok");
        } finally {
            raw.responder(RawBackend::echo);
        }
    }

    @Test
    void theAccessLogSaysHttp2() throws Exception {
        try (H2Client c = new H2Client(proxy.port())) {
            assertThat(c.exchange(H2Client.headers("GET", "/logged", "a").add("x-request-id", "req-logged-h2"), null)
                    .status()).isEqualTo(200);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        String line = null;
        while (line == null && System.nanoTime() < deadline) {
            line = java.nio.file.Files.readAllLines(accessLog).stream().filter(l -> l.contains("req-logged-h2")).findFirst()
                    .orElse(null);
            if (line == null) {
                Thread.onSpinWait();
            }
        }
        assertThat(line).contains("\"method\":\"GET\",\"protocol\":\"HTTP/2\",\"path\":\"/logged\"")
                .contains("\"status\":200");
    }

    @Test
    void fiftyStreamsAtOnceOnOneConnection() throws Exception {
        CountDownLatch all = new CountDownLatch(50);
        backend.handler((ex, s) -> {
            all.countDown();
            try {
                // every answer waits until all 50 requests reached the backend: they were in flight together
                assertThat(all.await(10, TimeUnit.SECONDS)).isTrue();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Backend.echo(ex, s);
        });
        try (H2Client c = new H2Client(proxy.port())) {
            List<CompletableFuture<H2Client.Response>> answers = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                answers.add(c.send(H2Client.headers("GET", "/many/" + i, "a"), null));
            }
            Set<String> bodies = new HashSet<>();
            for (CompletableFuture<H2Client.Response> f : answers) {
                H2Client.Response r = f.get(15, TimeUnit.SECONDS);
                assertThat(r.status()).isEqualTo(200);
                bodies.add(r.text());
            }
            assertThat(bodies).hasSize(50).contains("GET /many/0", "GET /many/49");
        }
        assertThat(all.getCount()).isZero();
    }
}
