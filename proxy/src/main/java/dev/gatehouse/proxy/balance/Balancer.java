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
 * weights and its algorithm's {@link SelectionStrategy} (for {@code ConsistentHash} with its
 * Maglev table), all built at compile time; the per-target state it reads and updates
 * ({@link TargetState}: counters, health, ejection) and the per-event-loop positions
 * ({@link LoopView}) are shared with the snapshots before and after it. The weights are this
 * snapshot's own, so a balancer built for a snapshot that is refused changes nothing that serves.
 *
 * <p>Every algorithm is weighted, never picks a weight 0 (drained) target nor one this request
 * already tried, and skips unhealthy and ejected targets. When no target is healthy it fails
 * open (picks among all targets with weight &gt; 0) unless the upstream's
 * {@code healthChecks.failOpen} (or, when unset, the proxy's {@link Balancers#FAIL_OPEN_PROPERTY})
 * is false, then the request gets 503. Slow start scales a returning target's weight, from 10% up.
 * The algorithms: {@link RoundRobin}, {@link LeastConnections}, {@link LeastLatency},
 * {@link ConsistentHash}. No pick takes a lock on an event loop.
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
    private final long slowStartNanos;
    private final boolean failOpen;
    /** The attributes after {@code name=value} of a new sticky cookie. */
    private final String cookieAttributes;
    private final SelectionStrategy strategy;

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
        this.strategy = SelectionStrategy.of(upstream, this);
    }

    @Override
    public List<Peer> peers() {
        return peers;
    }

    @Override
    public TargetState state(int index) {
        return targets[index];
    }

    /** The upstream as configured in the snapshot this balancer was built for. */
    Upstream upstream() {
        return upstream;
    }

    public UpstreamState upstreamState() {
        return state;
    }

    int size() {
        return targets.length;
    }

    TargetState target(int i) {
        return targets[i];
    }

    int weight(int i) {
        return weights[i];
    }

    /** Target {@code i}'s weight now: its configured one, ramped up after it came back (slow start). */
    double effectiveWeight(int i, long now) {
        return targets[i].effectiveWeight(weights[i], now, slowStartNanos);
    }

    /** Whether some target's weight is still ramping up after it was added or came back (slow start). */
    boolean rampingUp(long now) {
        if (slowStartNanos <= 0) {
            return false;
        }
        for (int i = 0; i < targets.length; i++) {
            if (weights[i] > 0 && targets[i].effectiveWeight(weights[i], now, slowStartNanos) < weights[i]) {
                return true;
            }
        }
        return false;
    }

    @Override
    public int pick(BitSet tried) {
        return pick(null, null, tried);
    }

    @Override
    public int pick(HttpRequest request, ClientAddress client, BitSet tried) {
        return pick(request, client, tried, System.nanoTime());
    }

    @Override
    public int pick(HttpRequest request, ClientAddress client, BitSet tried, long now) {
        int i = strategy.pick(request, client, tried, now, true);
        if (i < 0 && failOpen && noneAvailable(now)) {
            i = strategy.pick(request, client, tried, now, false);
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

    /** Whether target {@code i} may take this attempt: weight &gt; 0, not tried, and (when {@code strict}) up. */
    boolean eligible(int i, BitSet tried, long now, boolean strict) {
        return weights[i] > 0 && (tried == null || !tried.get(i)) && (!strict || targets[i].up(now));
    }

    /** The target index a hash maps to with every target available ({@code ConsistentHash}); for tests and measurements. */
    int lookup(long hash) {
        return ((ConsistentHash) strategy).lookup(hash);
    }

    @Override
    public String stickyCookie(HttpRequest request) {
        Upstream.HashOn on = upstream.hashOn();
        if (!(strategy instanceof ConsistentHash hashing) || !hashing.hasTable() || on == null || on.source() != Upstream.HashSource.COOKIE) {
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
