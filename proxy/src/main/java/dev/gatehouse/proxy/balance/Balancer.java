package dev.gatehouse.proxy.balance;

import dev.gatehouse.config.Upstream;
import dev.gatehouse.proxy.http.ClientAddress;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;

import java.util.BitSet;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The balancer of one upstream in one compiled snapshot: an immutable target list with its
 * weights and, for {@code ConsistentHash}, a Maglev table, all built at compile time; the
 * per-target state it reads and updates ({@link TargetState}: counters, health, ejection) is
 * shared with the snapshots before and after it. The weights are this snapshot's own, so a
 * balancer built for a snapshot that is refused changes nothing that serves.
 *
 * <p>Every algorithm is weighted, never picks a weight 0 (drained) target nor one this request
 * already tried, and skips unhealthy and ejected targets. When no target is healthy it fails
 * open (picks among all targets with weight &gt; 0) unless the upstream's
 * {@code healthChecks.failOpen} (or, when unset, the proxy's {@link Balancers#FAIL_OPEN_PROPERTY})
 * is false, then the request gets 503. Slow start scales a returning target's weight, from 10% up.
 * <ul>
 * <li>{@code RoundRobin}: smooth weighted round robin (nginx), under the upstream's monitor.</li>
 * <li>{@code LeastConnections}: fewest in-flight per unit of weight; the scan starts at a
 * rotating position, so ties go round robin.</li>
 * <li>{@code LeastLatency}: power of two random choices; cost = peak-EWMA latency × (in-flight
 * + 1) ÷ weight.</li>
 * <li>{@code ConsistentHash}: Maglev; a request without a hash value (neither {@code hashOn} nor
 * {@code hashFallback}) goes round robin; a retry, or an unavailable target, walks the table
 * on to the next distinct target.</li>
 * </ul>
 */
public final class Balancer implements TargetSelector {
    /** Sticky cookies are 16 hex characters of randomness. */
    private static final int COOKIE_CHARS = 16;

    private final UpstreamState state;
    private final Upstream upstream;
    private final List<Peer> peers;
    private final TargetState[] targets;
    /** Configured weight of each target in this snapshot. */
    private final int[] weights;
    private final int[] maglev;
    private final long slowStartNanos;
    private final boolean failOpen;
    /** The attributes after {@code name=value} of a new sticky cookie. */
    private final String cookieAttributes;

    Balancer(UpstreamState state, Upstream upstream, List<Peer> peers, TargetState[] targets, boolean failOpen) {
        this.state = state;
        this.upstream = upstream;
        this.peers = List.copyOf(peers);
        this.targets = targets;
        this.weights = this.peers.stream().mapToInt(Peer::weight).toArray();
        this.slowStartNanos = upstream.slowStartMillis() * 1_000_000L;
        Upstream.HealthChecks checks = upstream.healthChecks();
        this.failOpen = checks == null || checks.failOpen() == null ? failOpen : checks.failOpen();
        this.cookieAttributes = cookieAttributes(upstream.stickyCookie());
        if (upstream.algorithm() == Upstream.Algorithm.CONSISTENT_HASH) {
            String[] keys = new String[targets.length];
            for (int i = 0; i < keys.length; i++) {
                keys[i] = targets[i].key();
            }
            maglev = Maglev.build(keys, this.weights);
        } else {
            maglev = null;
        }
    }

    @Override
    public List<Peer> peers() {
        return peers;
    }

    @Override
    public TargetState state(int index) {
        return targets[index];
    }

    public UpstreamState upstreamState() {
        return state;
    }

    @Override
    public int pick(BitSet tried) {
        return pick(null, null, tried);
    }

    @Override
    public int pick(HttpRequest request, ClientAddress client, BitSet tried) {
        long now = System.nanoTime();
        int i = pick(request, client, tried, now, true);
        if (i < 0 && failOpen && noneAvailable(now)) {
            i = pick(request, client, tried, now, false);
        }
        return i;
    }

    private boolean noneAvailable(long now) {
        for (int i = 0; i < targets.length; i++) {
            if (weights[i] > 0 && targets[i].up(now)) {
                return false;
            }
        }
        return true;
    }

    private boolean eligible(int i, BitSet tried, long now, boolean strict) {
        return weights[i] > 0 && (tried == null || !tried.get(i)) && (!strict || targets[i].up(now));
    }

    private int pick(HttpRequest request, ClientAddress client, BitSet tried, long now, boolean strict) {
        return switch (upstream.algorithm()) {
            case ROUND_ROBIN -> roundRobin(tried, now, strict);
            case LEAST_CONNECTIONS -> leastConnections(tried, now, strict);
            case LEAST_LATENCY -> leastLatency(tried, now, strict);
            case CONSISTENT_HASH -> consistentHash(request, client, tried, now, strict);
        };
    }

    private int roundRobin(BitSet tried, long now, boolean strict) {
        synchronized (state) {
            int best = -1;
            long total = 0;
            for (int i = 0; i < targets.length; i++) {
                if (!eligible(i, tried, now, strict)) {
                    continue;
                }
                TargetState t = targets[i];
                int w = Math.max(1, (int) t.effectiveWeight(weights[i], now, slowStartNanos));
                t.rrCurrent += w;
                total += w;
                if (best < 0 || t.rrCurrent > targets[best].rrCurrent) {
                    best = i;
                }
            }
            if (best >= 0) {
                targets[best].rrCurrent -= (int) total;
            }
            return best;
        }
    }

    private int leastConnections(BitSet tried, long now, boolean strict) {
        int n = targets.length;
        if (n == 0) {
            return -1;
        }
        int start = Math.floorMod(state.cursor.getAndIncrement(), n);
        int best = -1;
        double bestScore = Double.MAX_VALUE;
        for (int k = 0; k < n; k++) {
            int i = (start + k) % n;
            if (!eligible(i, tried, now, strict)) {
                continue;
            }
            TargetState t = targets[i];
            double score = (t.inFlight() + 1) / t.effectiveWeight(weights[i], now, slowStartNanos);
            if (score < bestScore) {
                bestScore = score;
                best = i;
            }
        }
        return best;
    }

    private int leastLatency(BitSet tried, long now, boolean strict) {
        int m = 0;
        for (int i = 0; i < targets.length; i++) {
            if (eligible(i, tried, now, strict)) {
                m++;
            }
        }
        if (m <= 1) {
            return m == 0 ? -1 : nth(0, tried, now, strict);
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int r1 = random.nextInt(m);
        int r2 = random.nextInt(m - 1);
        if (r2 >= r1) {
            r2++;
        }
        int a = nth(r1, tried, now, strict);
        int b = nth(r2, tried, now, strict);
        return cost(a, now) <= cost(b, now) ? a : b;
    }

    private double cost(int i, long now) {
        TargetState t = targets[i];
        return (t.ewmaNanos(now) + 1) * (t.inFlight() + 1) / t.effectiveWeight(weights[i], now, slowStartNanos);
    }

    private int nth(int nth, BitSet tried, long now, boolean strict) {
        for (int i = 0; i < targets.length; i++) {
            if (eligible(i, tried, now, strict) && nth-- == 0) {
                return i;
            }
        }
        return -1;
    }

    private int consistentHash(HttpRequest request, ClientAddress client, BitSet tried, long now, boolean strict) {
        if (maglev == null) {
            return -1;
        }
        long hash = request == null ? HashKey.ABSENT : HashKey.of(upstream.hashOn(), request, client);
        if (hash == HashKey.ABSENT && request != null) {
            hash = HashKey.of(upstream.hashFallback(), request, client);
        }
        if (hash == HashKey.ABSENT) {
            return roundRobin(tried, now, strict);
        }
        return walk(hash, tried, now, strict);
    }

    /** The entry of {@code hash}, or the next entry onwards whose target is eligible. */
    int walk(long hash, BitSet tried, long now, boolean strict) {
        int pos = (int) Long.remainderUnsigned(hash, Maglev.SIZE);
        for (int k = 0; k < Maglev.SIZE; k++) {
            int i = maglev[(pos + k) % Maglev.SIZE];
            if (eligible(i, tried, now, strict)) {
                return i;
            }
        }
        return -1;
    }

    /** The target index a hash maps to with every target available; for tests and measurements. */
    int lookup(long hash) {
        return maglev[(int) Long.remainderUnsigned(hash, Maglev.SIZE)];
    }

    @Override
    public String stickyCookie(HttpRequest request) {
        Upstream.HashOn on = upstream.hashOn();
        if (maglev == null || on == null || on.source() != Upstream.HashSource.COOKIE) {
            return null;
        }
        String v = HashKey.cookieValue(request.headers(), on.name());
        if (v != null && !v.isEmpty()) {
            return null;
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        StringBuilder value = new StringBuilder(COOKIE_CHARS);
        for (int i = 0; i < COOKIE_CHARS; i++) {
            value.append(Character.forDigit(random.nextInt(16), 16));
        }
        request.headers().add(HttpHeaderNames.COOKIE, on.name() + "=" + value);
        return on.name() + "=" + value + cookieAttributes;
    }

    /** RFC 6265 §4.1 attributes: Path (default /), Max-Age when a TTL is set, HttpOnly, SameSite (default Lax), Secure. */
    static String cookieAttributes(Upstream.StickyCookie c) {
        StringBuilder sb = new StringBuilder("; Path=").append(c == null || c.path() == null ? "/" : c.path());
        if (c != null && c.ttlMillis() > 0) {
            sb.append("; Max-Age=").append((c.ttlMillis() + 999) / 1000);
        }
        sb.append("; HttpOnly; SameSite=").append(c == null || c.sameSite() == null ? "Lax" : c.sameSite());
        if (c != null && c.secure()) {
            sb.append("; Secure");
        }
        return sb.toString();
    }
}
