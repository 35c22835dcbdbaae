package dev.gatehouse.proxy;

import dev.gatehouse.config.Service;
import dev.gatehouse.proxy.ScriptedTarget.Fault;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.function.BooleanSupplier;

import static dev.gatehouse.proxy.Fixtures.route;
import static dev.gatehouse.proxy.Fixtures.service;
import static dev.gatehouse.proxy.Fixtures.upstream;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every request gets the answer to itself, whatever a target connection did before: cut after
 * part of a head or of a body (Content-Length and chunked), sent bytes beyond its response, or
 * answered after the proxy gave up on the request (read timeout, client gone). One event loop,
 * so every request shares one pool: the connection a fault left behind, if the proxy kept it, is
 * the one the next request gets. Each answer the target means for a request carries the request's
 * token ({@link ScriptedTarget}); each request after the fault checks it gets its own.
 */
class AnswerPairingTest extends ProxyTestBase {
    ScriptedTarget target;

    @BeforeEach
    void start() throws IOException {
        target = new ScriptedTarget();
        closeables.add(target);
        // no retries: a failed attempt is the client's answer, so each fault's outcome is fixed; a read timeout of 3 s,
        // so that on a loaded machine only the LATE answer meets it, never a warm-up request (it did once at 500 ms)
        Service s = service("default/s", "default/u", "/", 0, new Service.Timeouts(3000, 3000, 3000));
        proxy = ProxyServer.start(Fixtures.oneLoopConfig());
        assertThat(proxy.apply(Fixtures.snapshot(1, List.of(s), List.of(route("default/r", s.id()).stripPath(false).build()),
                List.of(upstream("default/u", target.port())), List.of()))).isEmpty();
    }

    static String request(String method, Fault fault, String token) {
        return method + " /" + fault.name().toLowerCase(Locale.ROOT) + "/" + token + " HTTP/1.1\r\nHost: a\r\n\r\n";
    }

    /** Asserts {@code r} is the target's answer to the request with {@code token}. */
    static void assertOwn(TestClient.Response r, String token, boolean head) {
        assertThat(r.status()).as("status of %s", token).isEqualTo(200);
        assertThat(r.header("x-echo")).as("the answer %s got is the answer to", token).isEqualTo(token);
        assertThat(r.body()).as("body of %s", token).isEqualTo(head ? "" : token);
    }

    static void own(TestClient c, String method, String token) throws IOException {
        c.write(request(method, Fault.OK, token));
        assertOwn(c.read(method.equals("HEAD")), token, method.equals("HEAD"));
    }

    /** After a fault: one request after the other, and pipelined ones, each get their own answer. */
    void nextRequestsGetTheirOwn(String tag) throws IOException {
        try (TestClient c = new TestClient(proxy.port())) {
            own(c, "GET", tag + "-1");
            own(c, "HEAD", tag + "-2");
            own(c, "GET", tag + "-3");
            c.write(request("GET", Fault.OK, tag + "-4") + request("HEAD", Fault.OK, tag + "-5") + request("GET", Fault.OK, tag + "-6"));
            assertOwn(c.read(false), tag + "-4", false);
            assertOwn(c.read(true), tag + "-5", true);
            assertOwn(c.read(false), tag + "-6", false);
        }
    }

    /** The target cuts its connection mid-response: the client sees that (502, or a cut response), the next request its own. */
    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"HEAD_CUT", "BODY_CUT", "CHUNK_CUT"})
    void aConnectionCutMidResponseLeavesNothingForTheNextRequest(Fault fault) throws Exception {
        try (TestClient c = new TestClient(proxy.port())) {
            own(c, "GET", "warm");
            c.write(request("GET", fault, "cut"));
            if (fault == Fault.HEAD_CUT) {
                assertThat(c.read(false).status()).isEqualTo(502);
                own(c, "GET", "same-client");
            } else {
                // the head went out: the client's response is cut short, its connection closed
                String got = new String(c.socket().getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertThat(got).startsWith("HTTP/1.1 200 OK\r\n").containsIgnoringCase("\r\nx-echo: cut\r\n");
            }
        }
        nextRequestsGetTheirOwn(fault.name());
    }

    /**
     * The target sends bytes beyond its answer (a whole stray response, or the start of one) in
     * the same write. RFC 9112 §6.3: a client must not take them as the answer to a later
     * request; the connection is closed rather than reused. Pipelined, the next request is
     * started the moment the first is answered, on the loop that is still decoding the stray bytes.
     */
    @ParameterizedTest
    @EnumSource(value = Fault.class, names = {"EXTRA_RESPONSE", "EXTRA_PARTIAL"})
    void bytesBeyondAnAnswerAreNeverTheNextRequestsAnswer(Fault fault) throws Exception {
        try (TestClient c = new TestClient(proxy.port())) {
            own(c, "GET", "warm");
            c.write(request("GET", fault, "first"));
            assertOwn(c.read(false), "first", false);
            own(c, "GET", "after");
            c.write(request("GET", fault, "piped-1") + request("GET", Fault.OK, "piped-2") + request("HEAD", Fault.OK, "piped-3"));
            assertOwn(c.read(false), "piped-1", false);
            assertOwn(c.read(false), "piped-2", false);
            assertOwn(c.read(true), "piped-3", true);
        }
        nextRequestsGetTheirOwn(fault.name());
    }

    /** The target answers after the read timeout: the connection it answers on was closed, never reused. */
    @Test
    void anAnswerAfterTheReadTimeoutNeverReachesTheNextRequest() throws Exception {
        try (TestClient c = new TestClient(proxy.port())) {
            own(c, "GET", "warm");
            c.write(request("GET", Fault.LATE, "slow"));
            assertThat(c.read(false).status()).isEqualTo(504);
            own(c, "GET", "after-timeout");
        }
        nextRequestsGetTheirOwn("timeout");
        assertThat(target.seen).as("the request after the timeout went to a new connection")
                .filteredOn(s -> s.path().endsWith("/after-timeout")).allSatisfy(s ->
                        assertThat(s.connection()).isNotEqualTo(connectionOf("/late/slow")));
    }

    /** The client goes away while its answer is pending: that connection is never reused. */
    @Test
    void anAnswerToARequestTheClientGaveUpOnNeverReachesTheNextRequest() throws Exception {
        try (TestClient c = new TestClient(proxy.port())) {
            own(c, "GET", "warm");
            c.write(request("GET", Fault.LATE, "abandoned"));
            awaitTrue(() -> connectionOf("/late/abandoned") > 0, "the target read the request");
        }
        awaitTrue(() -> proxy.inFlight() == 0, "the proxy saw the client go");
        nextRequestsGetTheirOwn("abandoned");
    }

    int connectionOf(String path) {
        return target.seen.stream().filter(s -> s.path().equals(path)).mapToInt(ScriptedTarget.Seen::connection).findFirst().orElse(0);
    }

    /** Polls {@code condition} (bounded: 5 s). */
    static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 5 s: " + what);
            }
            Thread.sleep(5);
        }
    }
}
