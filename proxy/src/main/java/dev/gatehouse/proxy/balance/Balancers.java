package dev.gatehouse.proxy.balance;

import dev.gatehouse.config.Upstream;

import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The balancing state of one proxy across snapshots: one {@link UpstreamState} per upstream id.
 * {@link #balancer} (at compile time) reuses the state of targets that stay, so round robin
 * position, counters, EWMAs, health and ejections survive a swap; {@link #retain} (after the
 * swap) forgets upstreams and targets that left. A target that left is drained: requests in
 * flight finish on the state they hold, no new request picks it.
 */
public final class Balancers implements AutoCloseable {
    /**
     * System property: when every target of an upstream is unhealthy or ejected, {@code true}
     * (the default) balances over all of them anyway (fail open); {@code false} answers 503.
     * An upstream's {@code healthChecks.failOpen} wins over it.
     */
    public static final String FAIL_OPEN_PROPERTY = "gatehouse.proxy.failOpen";

    private final Map<String, UpstreamState> upstreams = new ConcurrentHashMap<>();
    private final boolean failOpen = Boolean.parseBoolean(System.getProperty(FAIL_OPEN_PROPERTY, "true"));
    private final TargetResolver resolver;
    /** Target keys of each upstream's most recently built balancer. */
    private final Map<String, Set<String>> built = new ConcurrentHashMap<>();

    /** Without DNS re-resolution: names are resolved once per compile, as {@link Peer#of} does. */
    public Balancers() {
        this.resolver = null;
    }

    /** @param onDnsChange called, off the event loops, when a target name resolves differently; recompile then */
    public Balancers(Runnable onDnsChange) {
        this.resolver = new TargetResolver(onDnsChange);
    }

    /** The balancer of {@code u} for a snapshot being compiled; creates state for new targets. */
    public synchronized Balancer balancer(Upstream u) {
        UpstreamState state = upstreams.computeIfAbsent(u.id(), UpstreamState::new);
        state.configure(u);
        long now = System.nanoTime();
        List<Peer> peers = new ArrayList<>(u.targets().size());
        for (Upstream.Target t : u.targets()) {
            List<InetAddress> addresses = resolver == null || TargetResolver.isLiteral(t.host()) ? null : resolver.addresses(t.host());
            if (addresses == null || addresses.isEmpty()) {
                peers.add(Peer.of(t));
            } else {
                for (InetAddress a : addresses) {
                    // One target per DNS record; its key keeps the name for the Host header's sake and
                    // the address apart for pools and state.
                    peers.add(new Peer(t, t.address() + "@" + NetUtil.toAddressString(a), new InetSocketAddress(a, t.port())));
                }
            }
        }
        TargetState[] targets = new TargetState[peers.size()];
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < targets.length; i++) {
            Peer p = peers.get(i);
            targets[i] = state.target(p.key(), p.weight(), now);
            targets[i].peer = p;
            keys.add(p.key());
        }
        built.put(u.id(), keys);
        return new Balancer(state, u, peers, targets, failOpen);
    }

    /** Pool keys ({@code host:port}, or {@code host:port@address} for a DNS record) of the last compile. */
    public Set<String> poolKeys() {
        Set<String> out = new HashSet<>();
        built.values().forEach(out::addAll);
        return out;
    }

    /** Stops DNS re-resolution. */
    @Override
    public void close() {
        if (resolver != null) {
            resolver.close();
        }
    }

    /** Forgets what is not in {@code applied} (the snapshot now serving). */
    public synchronized void retain(List<Upstream> applied) {
        Map<String, Upstream> byId = new LinkedHashMap<>();
        applied.forEach(u -> byId.put(u.id(), u));
        upstreams.keySet().retainAll(byId.keySet());
        built.keySet().retainAll(byId.keySet());
        upstreams.forEach((id, s) -> {
            s.retain(built.getOrDefault(id, Set.of()));
            s.configure(byId.get(id));
        });
        if (resolver != null) {
            Set<String> names = new HashSet<>();
            applied.forEach(u -> u.targets().forEach(t -> names.add(t.host())));
            resolver.retain(names);
        }
    }

    /** Upstream states by id. */
    public Map<String, UpstreamState> upstreams() {
        return Map.copyOf(upstreams);
    }

    /** For {@code GET /upstreams}: per upstream, per target its address, weight, health and counters. */
    public List<Map<String, Object>> describe() {
        long now = System.nanoTime();
        List<Map<String, Object>> out = new ArrayList<>();
        upstreams.values().stream().sorted(java.util.Comparator.comparing(UpstreamState::id)).forEach(s -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", s.id());
            Upstream c = s.config();
            m.put("algorithm", c == null ? null : c.algorithm().name());
            List<Map<String, Object>> ts = new ArrayList<>();
            for (TargetState t : s.targets()) {
                Map<String, Object> tm = new LinkedHashMap<>();
                tm.put("address", t.key());
                tm.put("weight", t.weight());
                tm.put("health", t.weight() == 0 ? "DRAINED" : !t.healthy() ? "UNHEALTHY" : t.ejected(now) ? "EJECTED" : "HEALTHY");
                tm.put("ejectedForMillis", t.ejected(now) ? TimeUnit.NANOSECONDS.toMillis(t.ejectedUntilNanos() - now) : 0);
                tm.put("inFlight", t.inFlight());
                tm.put("ewmaMillis", Math.round(t.ewmaNanos(now) / 1_000) / 1_000.0);
                tm.put("requests", t.requests());
                tm.put("failures", t.failures());
                ts.add(tm);
            }
            m.put("targets", ts);
            out.add(m);
        });
        return out;
    }
}
