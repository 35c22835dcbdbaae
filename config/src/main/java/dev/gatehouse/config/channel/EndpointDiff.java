package dev.gatehouse.config.channel;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.Upstream;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The one rule for endpoint deltas, used by both ends: {@link #between} tells whether two
 * snapshots differ only in upstream targets (the controller sends an {@link EndpointDelta} then),
 * and {@link #apply} replays a delta on the base (the proxy), so both agree by construction on
 * what the new snapshot is. Pure functions.
 */
public final class EndpointDiff {
    private EndpointDiff() {
    }

    /**
     * The upstreams whose targets differ from {@code previous} to {@code next}, each with its new
     * target list, sorted by id; null when anything else differs (services, routes, consumers,
     * certificates, the set or order of upstreams, or any upstream field but {@code targets}), and
     * an empty list when nothing differs.
     */
    public static List<EndpointDelta.UpstreamTargets> between(Snapshot previous, Snapshot next) {
        Objects.requireNonNull(previous, "previous");
        Objects.requireNonNull(next, "next");
        if (!previous.services().equals(next.services()) || !previous.routes().equals(next.routes())
                || !previous.consumers().equals(next.consumers()) || !previous.certificates().equals(next.certificates())
                || previous.upstreams().size() != next.upstreams().size()) {
            return null;
        }
        List<EndpointDelta.UpstreamTargets> changed = new ArrayList<>();
        for (int i = 0; i < next.upstreams().size(); i++) {
            Upstream a = previous.upstreams().get(i);
            Upstream b = next.upstreams().get(i);
            if (a.equals(b)) {
                continue;
            }
            if (!withTargets(a, b.targets()).equals(b)) {
                return null; // more than the targets changed
            }
            changed.add(new EndpointDelta.UpstreamTargets(b.id(), b.targets()));
        }
        changed.sort(java.util.Comparator.comparing(EndpointDelta.UpstreamTargets::id));
        return List.copyOf(changed);
    }

    /**
     * {@code base} with the targets of the delta's upstreams replaced, at the delta's version.
     *
     * @throws IllegalArgumentException when the delta names an upstream {@code base} lacks, or one twice
     */
    public static Snapshot apply(Snapshot base, EndpointDelta delta) {
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(delta, "delta");
        Map<String, List<Upstream.Target>> targets = new HashMap<>();
        for (EndpointDelta.UpstreamTargets u : delta.upstreams()) {
            if (targets.put(u.id(), u.targets()) != null) {
                throw new IllegalArgumentException("upstreams: " + u.id() + " appears twice (expected: each upstream once)");
            }
        }
        List<Upstream> upstreams = new ArrayList<>(base.upstreams().size());
        int replaced = 0;
        for (Upstream u : base.upstreams()) {
            List<Upstream.Target> t = targets.get(u.id());
            if (t == null) {
                upstreams.add(u);
            } else {
                upstreams.add(withTargets(u, t));
                replaced++;
            }
        }
        if (replaced != targets.size()) {
            targets.keySet().removeAll(base.upstreams().stream().map(Upstream::id).toList());
            throw new IllegalArgumentException("upstreams: " + targets.keySet().iterator().next()
                    + " (expected: an upstream of the base snapshot " + base.version() + ")");
        }
        return new Snapshot(delta.version(), base.services(), base.routes(), upstreams, base.consumers(), base.certificates());
    }

    /**
     * The endpoint delta's upstreams when {@code delta} (from {@code previous}) changes only upstream
     * targets, as {@link #between} would find them; null otherwise. Reads only the delta's objects,
     * so it costs what changed, not a comparison of the whole snapshots.
     */
    public static List<EndpointDelta.UpstreamTargets> fromObjects(Snapshot previous, ObjectDelta delta) {
        Objects.requireNonNull(previous, "previous");
        Objects.requireNonNull(delta, "delta");
        ObjectDelta.Changes<Upstream> u = delta.upstreams();
        if (delta.services() != null || delta.routes() != null || delta.consumers() != null || delta.certificates() != null
                || u == null || !u.removed().isEmpty() || u.size() != previous.upstreams().size()) {
            return null;
        }
        List<EndpointDelta.UpstreamTargets> changed = new ArrayList<>(u.put().size());
        for (ObjectDelta.Put<Upstream> p : u.put()) {
            Upstream before = previous.upstreams().get(p.at());
            Upstream after = p.object();
            if (!before.id().equals(after.id()) || !withTargets(before, after.targets()).equals(after)) {
                return null; // moved, or more than the targets changed
            }
            if (!before.targets().equals(after.targets())) {
                changed.add(new EndpointDelta.UpstreamTargets(after.id(), after.targets()));
            }
        }
        changed.sort(java.util.Comparator.comparing(EndpointDelta.UpstreamTargets::id));
        return changed.isEmpty() ? null : List.copyOf(changed);
    }

    static Upstream withTargets(Upstream u, List<Upstream.Target> targets) {
        return new Upstream(u.id(), u.source(), u.algorithm(), u.hashOn(), u.hashFallback(), targets, u.healthChecks(),
                u.slowStartMillis(), u.stickyCookie());
    }
}
