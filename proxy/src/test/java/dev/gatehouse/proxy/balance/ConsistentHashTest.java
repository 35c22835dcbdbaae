package dev.gatehouse.proxy.balance;

import dev.gatehouse.config.Upstream;
import dev.gatehouse.proxy.http.ForwardedFor;
import dev.gatehouse.proxy.http.TrustedProxies;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Maglev's disruption and balance, measured over 100 000 seeded random keys. */
class ConsistentHashTest {
    private static final int KEYS = 100_000;

    static Upstream upstream(Upstream.HashOn on, List<Upstream.Target> targets) {
        return new Upstream("default/u", null, Upstream.Algorithm.CONSISTENT_HASH, on, null, targets, null, 0);
    }

    static List<Upstream.Target> targets(int n, int... weights) {
        List<Upstream.Target> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Upstream.Target("10.0.0." + (i + 1), 8080, weights.length == 0 ? 100 : weights[i]));
        }
        return out;
    }

    private static long[] keys() {
        Random random = new Random(42);
        long[] hashes = new long[KEYS];
        for (int i = 0; i < KEYS; i++) {
            hashes[i] = Hashing.hash("user-" + random.nextLong(), 0);
        }
        return hashes;
    }

    @Test
    void oneOfTenLeavingKeepsMostKeysAndTheLoadEven() {
        long[] keys = keys();
        List<Upstream.Target> ten = targets(10);
        Balancer before = Plans.fresh(upstream(new Upstream.HashOn(Upstream.HashSource.HEADER, "x-user"), ten));
        List<Upstream.Target> nine = new ArrayList<>(ten);
        nine.remove(3);
        Balancer after = Plans.fresh(upstream(new Upstream.HashOn(Upstream.HashSource.HEADER, "x-user"), nine));

        int kept = 0;
        int[] load = new int[9];
        int[] loadBefore = new int[10];
        for (long k : keys) {
            String a = before.peers().get(before.lookup(k)).key();
            int j = after.lookup(k);
            loadBefore[before.lookup(k)]++;
            load[j]++;
            if (after.peers().get(j).key().equals(a)) {
                kept++;
            }
        }
        double retention = (double) kept / KEYS;
        double maxFactor = 0;
        for (int l : load) {
            maxFactor = Math.max(maxFactor, l / (KEYS / 9.0));
        }
        double maxFactorBefore = 0;
        for (int l : loadBefore) {
            maxFactorBefore = Math.max(maxFactorBefore, l / (KEYS / 10.0));
        }
        System.out.printf("maglev: 1 of 10 targets left: %.2f%% of keys kept their target; max load %.3f x fair"
                + " (before: %.3f x)%n", retention * 100, maxFactor, maxFactorBefore);
        assertThat(retention).isGreaterThanOrEqualTo(0.85);
        assertThat(maxFactor).isLessThanOrEqualTo(1.25);
        assertThat(maxFactorBefore).isLessThanOrEqualTo(1.25);
    }

    @Test
    void weightsShareTheTable() {
        Balancer b = Plans.fresh(upstream(new Upstream.HashOn(Upstream.HashSource.PATH, null), targets(3, 1, 2, 3)));
        int[] load = new int[3];
        for (long k : keys()) {
            load[b.lookup(k)]++;
        }
        for (int i = 0; i < 3; i++) {
            assertThat((double) load[i] / KEYS).as("share of target " + i).isCloseTo((i + 1) / 6.0,
                    org.assertj.core.data.Offset.offset(0.01));
        }
    }

    @Test
    void aRetryWalksOnToTheNextDistinctTarget() {
        Balancer b = Plans.fresh(upstream(new Upstream.HashOn(Upstream.HashSource.HEADER, "x-user"), targets(5)));
        HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        req.headers().set("x-user", "alice");
        BitSet tried = new BitSet();
        Set<Integer> seen = new HashSet<>();
        for (int attempt = 0; attempt < 5; attempt++) {
            int i = b.pick(req, null, tried);
            assertThat(i).isGreaterThanOrEqualTo(0);
            assertThat(seen.add(i)).as("attempt " + attempt + " on a new target").isTrue();
            tried.set(i);
        }
        assertThat(b.pick(req, null, tried)).isEqualTo(-1);
        assertThat(b.pick(req, null, new BitSet())).as("the first pick is stable").isEqualTo(b.pick(req, null, new BitSet()));
    }

    @Test
    void aDrainedTargetTakesNoKeys() {
        Balancer b = Plans.fresh(upstream(new Upstream.HashOn(Upstream.HashSource.PATH, null), targets(3, 100, 0, 100)));
        for (long k : keys()) {
            assertThat(b.lookup(k)).isNotEqualTo(1);
        }
    }

    @Test
    void hashKeysReadHeadersCookiesQueriesAndPaths() {
        HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/a/b?x=1&user=bob&y");
        req.headers().add("cookie", "a=1; session=abc ; c=2");
        assertThat(HashKey.cookieValue(req.headers(), "session")).isEqualTo("abc");
        assertThat(HashKey.cookieValue(req.headers(), "sess")).isNull();
        long q = HashKey.of(new Upstream.HashOn(Upstream.HashSource.QUERY_PARAM, "user"), req, null);
        assertThat(q).isEqualTo(Hashing.hash("bob", 0));
        assertThat(HashKey.of(new Upstream.HashOn(Upstream.HashSource.QUERY_PARAM, "zzz"), req, null)).isEqualTo(HashKey.ABSENT);
        assertThat(HashKey.of(new Upstream.HashOn(Upstream.HashSource.PATH, null), req, null)).isEqualTo(Hashing.hash("/a/b", 0));
        assertThat(HashKey.of(new Upstream.HashOn(Upstream.HashSource.HEADER, "x-none"), req, null)).isEqualTo(HashKey.ABSENT);
        assertThat(HashKey.of(new Upstream.HashOn(Upstream.HashSource.CLIENT_IP, null), req,
                ForwardedFor.of(TrustedProxies.NONE, new InetSocketAddress("127.0.0.1", 1)).peer())).isNotEqualTo(HashKey.ABSENT);
    }

    /**
     * The ClientIP key is the real client's address: the same whether the client connects itself
     * or comes through a trusted proxy, whatever its port; an IPv4 client hashes as it did when
     * the key was {@code InetAddress.hashCode()}, so an upgrade moves no IPv4 client.
     */
    @Test
    void clientIpKeyIsTheRealClientWhicheverWayItComes() throws Exception {
        HttpRequest direct = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        long fromClient = HashKey.clientIp(ForwardedFor.of(TrustedProxies.NONE, new InetSocketAddress("203.0.113.7", 50000)).peer());
        long otherPort = HashKey.clientIp(ForwardedFor.of(TrustedProxies.NONE, new InetSocketAddress("203.0.113.7", 50001)).peer());
        HttpRequest viaLb = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        viaLb.headers().add("X-Forwarded-For", "198.51.100.1, 203.0.113.7");
        ForwardedFor lb = ForwardedFor.of(TrustedProxies.parse("10.0.0.0/8"), new InetSocketAddress("10.0.0.9", 40000));
        assertThat(otherPort).isEqualTo(fromClient);
        assertThat(HashKey.clientIp(lb.resolve(viaLb.headers()))).isEqualTo(fromClient);
        assertThat(HashKey.clientIp(lb.resolve(direct.headers()))).as("the LB itself, no header").isNotEqualTo(fromClient);

        long legacy = Hashing.mix(InetAddress.getByName("203.0.113.7").hashCode() * 0x9E3779B97F4A7C15L);
        assertThat(fromClient).isEqualTo(legacy == HashKey.ABSENT ? 1 : legacy);
        long v6 = HashKey.clientIp(ForwardedFor.of(TrustedProxies.NONE, new InetSocketAddress("2001:db8::7", 1)).peer());
        long v6Other = HashKey.clientIp(ForwardedFor.of(TrustedProxies.NONE, new InetSocketAddress("2001:db8::8", 1)).peer());
        assertThat(v6).isNotEqualTo(HashKey.ABSENT).isNotEqualTo(v6Other);
    }
}
