package dev.gatehouse.proxy.balance;

import dev.gatehouse.config.Upstream;

import io.netty.util.NetUtil;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The balancers of one snapshot being compiled, built aside from the live state (STYLE 14).
 * A target that stays shares its live {@link TargetState} (read here, never written: weight,
 * address and configuration change only when the plan is committed); a new upstream or target
 * gets fresh state that nothing live refers to. {@link Balancers#commit} adopts the plan right
 * after the swap; a plan that is never committed (the snapshot was refused) leaves no trace.
 * Built by one thread; never waits on DNS (a name without an answer yet is a target by name,
 * resolved asynchronously at connect time).
 */
public final class BalancerPlan {
    final Balancers owner;
    final long generation;
    private final TargetResolver resolver;
    private final boolean failOpen;
    final Map<String, Staged> upstreams = new LinkedHashMap<>();

    /**
     * One upstream as planned: its state (live or new), configuration and targets by key. A
     * {@linkplain #kept() kept} one is the live upstream as it is (targets and peers null): the
     * commit leaves it untouched.
     */
    record Staged(UpstreamState state, Upstream config, Map<String, TargetState> targets, Map<String, Peer> peers,
                  int nextSlot, Balancer balancer) {
        static Staged kept(UpstreamState live) {
            return new Staged(live, live.config(), null, null, live.nextSlot(), live.balancer());
        }

        boolean kept() {
            return targets == null;
        }
    }

    /** Selectors made by {@link #selector}, by upstream id; committed as the upstreams' live selectors. */
    final Map<String, UpstreamSelector> selectors = new LinkedHashMap<>();
    /** Ids of the planned upstreams the commit has to look at: not kept as they are, or with a selector new to them. */
    final List<String> changed = new ArrayList<>();
    /** How many planned upstreams are live now: when fewer than the live ones, some left. */
    int liveCount;
    /**
     * Null for a plan of every upstream of a snapshot (a live upstream not planned leaves at commit);
     * else a plan of an object delta's upstreams alone ({@link #keepUnplanned}): the ids that leave.
     */
    java.util.Set<String> removed;

    BalancerPlan(Balancers owner, long generation, TargetResolver resolver, boolean failOpen) {
        this.owner = owner;
        this.generation = generation;
        this.resolver = resolver;
        this.failOpen = failOpen;
    }

    /**
     * Makes this a plan of the upstreams an object delta put alone: at commit, live upstreams this
     * plan does not name stay as they are (state, selector, pool keys, names), and those of
     * {@code removedIds} leave. The commit then costs the delta's upstreams, not every upstream.
     */
    public void keepUnplanned(java.util.Collection<String> removedIds) {
        removed = java.util.Set.copyOf(removedIds);
    }

    /** The balancer of {@code u} in the snapshot being compiled; each upstream id once per plan. */
    public Balancer balancer(Upstream u) {
        Objects.requireNonNull(u, "u");
        if (upstreams.containsKey(u.id())) {
            throw new IllegalArgumentException("upstream " + u.id() + " appears twice (expected: unique upstream ids)");
        }
        UpstreamState live = owner.live(u.id());
        if (live != null) {
            liveCount++;
        }
        if (live != null && live.config() == u && live.balancer() != null && live.balancer().upstream() == u
                && !owner.usesNames(u.id())) {
            // the very Upstream the live balancer was built from, all targets literal (no DNS
            // answer can have changed its peers): taken over without looking at one target
            upstreams.put(u.id(), Staged.kept(live));
            return live.balancer();
        }
        List<Peer> peers = peers(u);
        Balancer reused = reusable(live, u, peers);
        if (reused != null) {
            Map<String, TargetState> targets = new LinkedHashMap<>();
            Map<String, Peer> byKey = new LinkedHashMap<>();
            for (int i = 0; i < peers.size(); i++) {
                targets.putIfAbsent(peers.get(i).key(), reused.target(i));
                byKey.put(peers.get(i).key(), peers.get(i));
            }
            upstreams.put(u.id(), new Staged(live, u, targets, byKey, live.nextSlot(), reused));
            changed.add(u.id());
            return reused;
        }
        UpstreamState state = live != null ? live : new UpstreamState(u.id(), u);
        boolean rampUp = live != null && !live.targets().isEmpty();
        int slot = state.nextSlot();
        long now = System.nanoTime();
        Map<String, TargetState> targets = new LinkedHashMap<>();
        Map<String, Peer> byKey = new LinkedHashMap<>();
        TargetState[] states = new TargetState[peers.size()];
        for (int i = 0; i < states.length; i++) {
            Peer p = peers.get(i);
            TargetState t = targets.get(p.key());
            if (t == null) {
                t = state.find(p.key());
                if (t == null) {
                    t = new TargetState(state, p.key(), slot++, p.weight(), now, rampUp);
                }
                targets.put(p.key(), t);
            }
            byKey.put(p.key(), p);
            states[i] = t;
        }
        Balancer balancer = new Balancer(state, u, peers, states, failOpen);
        upstreams.put(u.id(), new Staged(state, u, targets, byKey, slot, balancer));
        changed.add(u.id());
        return balancer;
    }

    /**
     * The live balancer of {@code u}, when this snapshot would build the very same one: the
     * upstream's configuration and its peers (DNS answers included) equal, and every target's
     * state still the live one. Its target list, weights and Maglev table are then taken over
     * as they are, and its per-target state goes on as it would with a fresh build.
     */
    private Balancer reusable(UpstreamState live, Upstream u, List<Peer> peers) {
        Balancer last = live == null ? null : live.balancer();
        if (last == null || !last.upstream().equals(u) || !last.peers().equals(peers)) {
            return null;
        }
        for (int i = 0; i < peers.size(); i++) {
            if (live.find(peers.get(i).key()) != last.target(i)) {
                return null;
            }
        }
        return last;
    }

    /**
     * As {@link #balancer}, behind an {@link UpstreamSelector}: what a compiled route holds, so an
     * endpoint delta can later replace this upstream's targets in place ({@link Balancers#replaceTargets}).
     */
    public UpstreamSelector selector(Upstream u) {
        UpstreamState live = owner.live(u.id());
        Balancer balancer = balancer(u);
        // the live selector goes on when its balancer is taken over whole: routes compiled
        // before and after hold one selector, so a route can be reused and a later delta
        // reaches both; any other balancer gets a selector of its own, swapped in at commit
        UpstreamSelector selector = live != null && live.selector() != null && live.selector().current() == balancer
                ? live.selector() : new UpstreamSelector(balancer);
        selectors.put(u.id(), selector);
        if (live != null && selector != live.selector() && upstreams.get(u.id()).kept()) {
            changed.add(u.id()); // kept, but its routes now hold a new selector
        }
        return selector;
    }

    /** One peer per target; a DNS name with a known answer becomes one peer per record. */
    private List<Peer> peers(Upstream u) {
        List<Peer> peers = new ArrayList<>(u.targets().size());
        for (Upstream.Target t : u.targets()) {
            if (TargetResolver.isLiteral(t.host())) {
                peers.add(Peer.of(t));
                continue;
            }
            List<InetAddress> addresses = resolver == null ? null : resolver.known(t.host());
            if (addresses == null || addresses.isEmpty()) {
                peers.add(Peer.of(t));
                continue;
            }
            for (InetAddress a : addresses) {
                // One target per DNS record; its key keeps the name for the Host header's sake and
                // the address apart for pools and state.
                peers.add(new Peer(t, t.address() + "@" + NetUtil.toAddressString(a), new InetSocketAddress(a, t.port())));
            }
        }
        return peers;
    }
}
