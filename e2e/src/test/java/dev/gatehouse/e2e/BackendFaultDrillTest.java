package dev.gatehouse.e2e;

import dev.gatehouse.app.LocalRuntime;
import dev.gatehouse.e2e.DrillBackend.Behaviour;
import dev.gatehouse.proxy.ProxyConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static dev.gatehouse.e2e.Cluster.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fault drills on the targets (issue 10): `gatehouse local` over real sockets, steady GET load,
 * one target misbehaving. Each drill asserts what the clients saw, what reached each backend
 * (every request carries an id the backends record and echo in their answer) and that nothing
 * was lost or mixed up: every request sent was answered with the answer to itself (never
 * another request's: {@link DrillClient} checks the echo), every answer arrived somewhere, and
 * only an idempotent request was ever sent twice. Figures: see {@link DrillReport} and
 * docs/operations.md, "Fault drills".
 */
class BackendFaultDrillTest {
    /** Load: three keep-alive clients (within the minimum of a retry budget, so none is refused for it). */
    static final int CLIENTS = 3;
    @TempDir
    Path dir;
    LocalRuntime gatehouse;
    final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        if (gatehouse != null) {
            gatehouse.close();
        }
        Collections.reverse(closeables);
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    /** `gatehouse local` serving "/" from an Upstream of the two targets, with the given read timeout. */
    LocalRuntime local(int first, int second, String readTimeout) throws Exception {
        Files.writeString(dir.resolve("drill.yaml"), """
                apiVersion: gatehouse.dev/v1alpha1
                kind: Upstream
                metadata: {name: drill}
                spec: {targets: [{address: "127.0.0.1:%d"}, {address: "127.0.0.1:%d"}]}
                ---
                apiVersion: gatehouse.dev/v1alpha1
                kind: GatewayService
                metadata: {name: drill}
                spec: {upstreamRef: {name: drill}, timeouts: {connect: 1s, read: %s}}
                ---
                apiVersion: gatehouse.dev/v1alpha1
                kind: GatewayRoute
                metadata: {name: drill}
                spec: {serviceRef: {name: drill}, paths: ["/"]}
                """.formatted(first, second, readTimeout));
        gatehouse = LocalRuntime.start(dir, new ProxyConfig("127.0.0.1", 0, 2, Duration.ofSeconds(5)), 0);
        return gatehouse;
    }

    DrillBackend backend(String name, Behaviour b) throws Exception {
        DrillBackend backend = DrillBackend.start(name, b);
        closeables.add(backend);
        return backend;
    }

    /** A target is SIGKILLed (a process of its own) under load: the proxy retries what it had in flight and avoids it. */
    @Test
    void aBackendKilledMidLoadFailsNoGet() throws Exception {
        ChildJvm a = ChildJvm.start(DrillBackend.class, Map.of(), null, "a");
        closeables.add(a);
        int aPort = Integer.parseInt(a.awaitLine(ChildJvm.START, l -> l.startsWith("port "), "the backend's port").substring(5));
        DrillBackend b = backend("b", Behaviour.ANSWER);
        local(aPort, b.port(), "60s");
        DrillLoad load = DrillLoad.start("kill", gatehouse.port(), CLIENTS, "/");
        closeables.add(load);
        await(Duration.ofSeconds(30), () -> arrivalsIn(a).size(), n -> n >= 200, "200 requests reached a");
        int bAtKill = b.arrivals.size();
        a.kill();
        await(Duration.ofSeconds(30), () -> b.arrivals.size(), n -> n >= bAtKill + 300, "300 more requests after the kill");
        load.stop();

        List<String> atA = arrivalsIn(a);
        Set<String> atB = b.arrivals.stream().map(DrillBackend.Arrival::id).collect(Collectors.toSet());
        Set<String> atASet = new HashSet<>(atA);
        Set<String> replayed = new HashSet<>(atA);
        replayed.retainAll(atB);
        // what a failure needs to tell a lost arrival line from a response relayed to the wrong request:
        // the answers that name a target with no record of the request, and a's repeated arrivals
        List<String> unrecorded = load.ok.stream().filter(d -> !atASet.contains(d.id()) && !atB.contains(d.id()))
                .map(d -> d.id() + "@" + d.servedBy()).toList();
        DrillReport.of("backend-killed").load("get", load).put("arrivals.a", atA.size()).put("arrivals.b", atB.size())
                .put("answered.by-a", load.ok.stream().filter(d -> "a".equals(d.servedBy())).count())
                .put("arrivals.a.repeated", atA.size() - atASet.size()).put("answered.unrecorded", unrecorded.size())
                .put("replayed", replayed.size()).put("b.arrivals.after-kill", b.arrivals.size() - bAtKill).log();
        assertThat(load.wrongAnswers).as("requests answered with another request's answer").isEmpty();
        assertThat(load.failures).as("requests that failed").isEmpty();
        assertThat(load.answered()).as("every request sent was answered").isEqualTo(load.sent.get());
        // every answer echoed its own request's id (above), so an answer here is a lost arrival line
        assertThat(unrecorded).as("answers for requests no target recorded (id@servedBy); a's last output lines: "
                + a.lines.subList(Math.max(0, a.lines.size() - 5), a.lines.size())).isEmpty();
        assertThat(replayed).as("GETs sent to both: only those in flight on a when it died").hasSizeLessThanOrEqualTo(CLIENTS);
        assertThat(atA).as("each request reached a at most once").doesNotHaveDuplicates();
    }

    static List<String> arrivalsIn(ChildJvm backend) {
        return backend.lines.stream().filter(l -> l.startsWith("arrival ")).map(l -> l.split(" ")[1]).toList();
    }

    /**
     * A target accepts and reads but never answers. A GET waits out the service's read timeout
     * (1 s) there and is retried on the other target; a POST whose body was sent is answered 504
     * and has reached exactly one backend exactly once.
     */
    @Test
    void aSilentBackendCostsAGetOneReadTimeoutAndAPostA504() throws Exception {
        DrillBackend silent = backend("silent", Behaviour.SILENT);
        DrillBackend good = backend("good", Behaviour.ANSWER);
        local(silent.port(), good.port(), "1s");
        DrillLoad load = DrillLoad.start("silent", gatehouse.port(), CLIENTS, "/");
        closeables.add(load);
        List<Post> posts = postUntil(504, "post-silent");
        await(Duration.ofSeconds(30), () -> silent.arrivals.stream().filter(x -> x.method().equals("GET")).count(), n -> n >= 6,
                "6 GETs reached the silent target");
        load.stop();

        long retried = load.ok.stream().filter(d -> silent.count(d.id()) == 1).count();
        List<Long> retriedMillis = load.ok.stream().filter(d -> silent.count(d.id()) == 1).map(d -> d.nanos() / 1_000_000).sorted().toList();
        Post timedOut = posts.get(posts.size() - 1);
        DrillReport.of("backend-silent").load("get", load).put("get.retried-after-timeout", retried)
                .put("get.retried.min-ms", retriedMillis.get(0)).put("get.retried.max-ms", retriedMillis.get(retriedMillis.size() - 1))
                .put("arrivals.silent", silent.arrivals.size()).put("arrivals.good", good.arrivals.size())
                .put("post.sent", posts.size()).put("post.504", 1).put("post.504.ms", timedOut.millis)
                .put("post.504.arrivals", silent.count(timedOut.id) + "+" + good.count(timedOut.id)).log();

        assertThat(load.wrongAnswers).as("requests answered with another request's answer").isEmpty();
        assertThat(load.failures).as("GETs that failed").isEmpty();
        assertThat(load.answered()).isEqualTo(load.sent.get());
        for (DrillLoad.Done d : load.ok) {
            assertThat(good.count(d.id())).as("%s answered by good exactly once", d.id()).isEqualTo(1);
            assertThat(silent.count(d.id())).as("%s at the silent target at most once", d.id()).isLessThanOrEqualTo(1);
        }
        // only after the read timeout (1 s); "at once after it" is what the arrivals show (the silent target once, the
        // good one once, nothing failed): the upper bound is generous, as a loaded machine's pauses are no proxy's
        assertThat(retriedMillis).as("a GET retried only after the read timeout").allSatisfy(ms ->
                assertThat(ms).isBetween(950L, 30_000L));
        assertThat(timedOut.status).isEqualTo(504);
        assertThat(timedOut.body).startsWith("{\"message\":\"The upstream server is timing out\"");
        assertThat(timedOut.millis).as("the 504 after the read timeout (1 s), not before").isBetween(950L, 30_000L);
        assertThat(silent.count(timedOut.id)).as("the timed-out POST reached the silent target once").isEqualTo(1);
        assertThat(good.count(timedOut.id)).as("and was never replayed on the other").isZero();
        assertAnsweredPostsReachedGoodOnce(posts, silent, good);
    }

    /** A target reads a POST body and resets the connection: 502, never replayed; GETs it reset are retried. */
    @Test
    void aBackendThatResetsAfterThePostBodyGets502AndNoReplay() throws Exception {
        DrillBackend reset = backend("reset", Behaviour.RESET_AFTER_BODY);
        DrillBackend good = backend("good", Behaviour.ANSWER);
        local(reset.port(), good.port(), "60s");
        DrillLoad load = DrillLoad.start("reset", gatehouse.port(), CLIENTS, "/");
        closeables.add(load);
        List<Post> posts = postUntil(502, "post-reset");
        await(Duration.ofSeconds(30), () -> good.arrivals.size(), n -> n >= 300, "300 requests answered by good");
        load.stop();

        Post refused = posts.get(posts.size() - 1);
        long getsReset = load.ok.stream().filter(d -> reset.count(d.id()) == 1).count();
        DrillReport.of("backend-reset-after-body").load("get", load).put("get.reset-then-retried", getsReset)
                .put("arrivals.reset", reset.arrivals.size()).put("arrivals.good", good.arrivals.size())
                .put("post.sent", posts.size()).put("post.502", 1)
                .put("post.502.arrivals", reset.count(refused.id) + "+" + good.count(refused.id)).log();

        assertThat(load.wrongAnswers).as("requests answered with another request's answer").isEmpty();
        assertThat(load.failures).as("GETs that failed").isEmpty();
        assertThat(load.answered()).isEqualTo(load.sent.get());
        for (DrillLoad.Done d : load.ok) {
            assertThat(good.count(d.id())).as("%s answered by good exactly once", d.id()).isEqualTo(1);
        }
        assertThat(getsReset).as("GETs reset by the target, then retried").isPositive();
        assertThat(refused.status).isEqualTo(502);
        assertThat(refused.body).startsWith("{\"message\":\"An invalid response was received from the upstream server\"");
        assertThat(reset.count(refused.id)).as("the POST reached the resetting target once").isEqualTo(1);
        assertThat(good.count(refused.id)).as("and was never replayed").isZero();
        assertAnsweredPostsReachedGoodOnce(posts, reset, good);
    }

    record Post(String id, int status, String body, long millis) {
    }

    /**
     * POSTs (4 KiB body), one at a time on their own connection, until one is answered
     * {@code status} (round robin under concurrent load decides which target each meets).
     */
    List<Post> postUntil(int status, String prefix) throws Exception {
        List<Post> posts = new ArrayList<>();
        byte[] body = new byte[4096];
        java.util.Arrays.fill(body, (byte) 'p');
        try (DrillClient c = new DrillClient(gatehouse.port())) {
            for (int i = 0; i < 20; i++) {
                long t0 = System.nanoTime();
                DrillClient.Response r = c.post("/", prefix + "-" + i, body);
                posts.add(new Post(prefix + "-" + i, r.status(), r.body(), (System.nanoTime() - t0) / 1_000_000));
                if (r.status() == status) {
                    return posts;
                }
                assertThat(r.status()).as("a POST not answered %d", status).isEqualTo(200);
            }
        }
        throw new AssertionError("20 POSTs and none answered " + status + ": " + posts);
    }

    static void assertAnsweredPostsReachedGoodOnce(List<Post> posts, DrillBackend bad, DrillBackend good) {
        for (Post p : posts.subList(0, posts.size() - 1)) {
            assertThat(good.count(p.id)).as("%s answered 200 by good, once", p.id).isEqualTo(1);
            assertThat(bad.count(p.id)).as("%s never at the bad target", p.id).isZero();
        }
    }
}
