package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.SnapshotCodec;
import dev.gatehouse.config.SnapshotIndex;
import dev.gatehouse.config.Upstream;
import dev.gatehouse.proxy.auth.Credentials;
import dev.gatehouse.proxy.auth.KeyAuth;
import dev.gatehouse.proxy.auth.Namespaces;
import dev.gatehouse.proxy.balance.BalancerPlan;
import dev.gatehouse.proxy.balance.Balancers;
import dev.gatehouse.proxy.balance.TargetSelector;
import dev.gatehouse.proxy.observe.RouteMeters;
import dev.gatehouse.proxy.observe.RouteMetersFactory;
import dev.gatehouse.proxy.routing.Router;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A validated snapshot compiled into what the hot path reads: the router, whose matches carry
 * the service, the balancer of its upstream and the route's key-auth. Immutable; published
 * through one volatile reference. Compiling changes nothing live and never waits on DNS.
 *
 * <p>Balancers come from a {@link BalancerPlan}: built aside from the proxy's {@link Balancers},
 * reusing the per-target state (position, counters, health) of targets that stay, and
 * committed by the caller only once this snapshot is published. Connection pools, keyed by
 * target address, survive too. So do the in-flight counts of each service's retry budget
 * ({@link RetryBudgets}), planned and committed the same way.
 */
public final class CompiledSnapshot {
    /**
     * An empty snapshot compiled, the start of a proxy's chain of compiled snapshots: one per
     * proxy, never shared, as each chain owns its key-auth {@link Namespaces} registry.
     */
    public static CompiledSnapshot empty() {
        return compile(Snapshot.EMPTY);
    }

    private final Snapshot snapshot;
    private final String contentHash;
    private final Router<CompiledRoute> router;
    /** The consumers' keys, read by each request's key-auth; taken over while the consumers stay, patched by a delta. */
    final Credentials credentials;
    /** Selectors, services and who names whom: what a delta's compile starts from. */
    final ObjectIndex index;

    CompiledSnapshot(Snapshot snapshot, String contentHash, Router<CompiledRoute> router, Credentials credentials,
                     ObjectIndex index) {
        this.snapshot = snapshot;
        this.contentHash = contentHash;
        this.router = router;
        this.credentials = credentials;
        this.index = index;
    }

    /** @param snapshot a snapshot whose {@code validate()} found no problem */
    public static CompiledSnapshot compile(Snapshot snapshot) {
        Balancers balancers = new Balancers();
        BalancerPlan plan = balancers.plan();
        CompiledSnapshot compiled = compile(snapshot, RouteMetersFactory.detached(), plan);
        balancers.commit(plan);
        return compiled;
    }

    /** As {@link #compile(Snapshot, RouteMetersFactory, BalancerPlan, RetryBudgets.Plan)}, with retry budgets of its own. */
    public static CompiledSnapshot compile(Snapshot snapshot, RouteMetersFactory meters, BalancerPlan balancers) {
        return compile(snapshot, meters, balancers, new RetryBudgets().plan());
    }

    /** As {@link #compile(Snapshot, RouteMetersFactory, BalancerPlan, RetryBudgets.Plan, CompiledSnapshot)}, from scratch. */
    public static CompiledSnapshot compile(Snapshot snapshot, RouteMetersFactory meters, BalancerPlan balancers,
                                           RetryBudgets.Plan budgets) {
        return compile(snapshot, meters, balancers, budgets, null);
    }

    /**
     * Compiles {@code snapshot}, reusing what {@code previous} compiled for parts that did not
     * change, so the cost of a change follows the change, not the whole config: a route equal to
     * its previous self, with an equal service, the very same balancer (its upstream and peers
     * unchanged, see {@link BalancerPlan}) and the very same retry budget is taken over whole (its
     * matcher and regexes, filters, key-auth and meters);
     * otherwise only its changed parts are compiled anew. Reuse is invisible but for speed: the
     * result serves exactly as a compile from scratch would.
     *
     * @param snapshot  a snapshot whose {@code validate()} found no problem
     * @param meters    resolves each route's meters; the caller commits or abandons it
     * @param balancers the balancers of this snapshot, built aside; the caller commits them
     *                  after publishing the result, or drops them when it is refused
     * @param budgets   the retry budgets of this snapshot, built aside; committed like the balancers
     * @param previous  the snapshot compiled with the same meters registry, balancers and budgets
     *                  and applied last, or null to compile everything
     */
    public static CompiledSnapshot compile(Snapshot snapshot, RouteMetersFactory meters, BalancerPlan balancers,
                                           RetryBudgets.Plan budgets, CompiledSnapshot previous) {
        return compile(snapshot, meters, balancers, budgets, previous, null);
    }

    /**
     * As {@link #compile(Snapshot, RouteMetersFactory, BalancerPlan, RetryBudgets.Plan, CompiledSnapshot)},
     * with {@code snapshot}'s content hash when the caller has it (the channel checked it against
     * the controller's); null computes it.
     */
    public static CompiledSnapshot compile(Snapshot snapshot, RouteMetersFactory meters, BalancerPlan balancers,
                                           RetryBudgets.Plan budgets, CompiledSnapshot previous, String contentHash) {
        return compile(snapshot, meters, balancers, budgets, previous, contentHash, null);
    }

    /**
     * As {@link #compile(Snapshot, RouteMetersFactory, BalancerPlan, RetryBudgets.Plan, CompiledSnapshot, String)};
     * given what an object delta changed of {@code previous}'s snapshot ({@code changes}, with
     * {@code snapshot} that snapshot with the delta replayed), only what the delta reaches is
     * compiled ({@link CompiledPatch}): the plans become the delta's ({@code keepUnplanned}, the
     * meters {@code patching}), and the cost follows the change, not the config.
     *
     * @param changes what an object delta changed of {@code previous.snapshot()}, or null to walk the whole snapshot
     */
    public static CompiledSnapshot compile(Snapshot snapshot, RouteMetersFactory meters, BalancerPlan balancers,
                                           RetryBudgets.Plan budgets, CompiledSnapshot previous, String contentHash,
                                           SnapshotIndex.Changes changes) {
        String hash = contentHash != null ? contentHash : SnapshotCodec.contentHash(snapshot);
        if (previous != null && changes != null) {
            return CompiledPatch.compile(snapshot, meters, balancers, budgets, previous, hash, changes);
        }
        Map<String, TargetSelector> selectors = new HashMap<>();
        for (Upstream u : snapshot.upstreams()) {
            selectors.put(u.id(), balancers.selector(u)); // replaceable in place by an endpoint delta
        }
        Map<String, Service> services = new HashMap<>();
        snapshot.services().forEach(s -> {
            services.put(s.id(), s);
            RetryBudget budget = budgets.budget(s); // every service keeps its counts, routed or not
            meters.retriesInFlight(s.id(), budget, RetryBudget::retriesInFlight);
        });
        // the chain's namespace handles: a compile from scratch starts a registry, every other takes its previous one's
        Namespaces namespaces = previous == null ? new Namespaces() : previous.credentials.namespaces();
        boolean sameConsumers = previous != null && previous.snapshot.consumers().equals(snapshot.consumers());
        Credentials credentials = sameConsumers ? previous.credentials : Credentials.of(snapshot.consumers(), namespaces);
        Router<CompiledRoute> router = Router.compile(snapshot.routes(), previous == null ? null : previous.router,
                (r, before) -> destination(r, before, services, selectors, meters, budgets, namespaces));
        return new CompiledSnapshot(snapshot, hash, router, credentials, ObjectIndex.of(selectors, services, snapshot.routes()));
    }

    /**
     * What route {@code r} resolves to: {@code before}, its compiled self of the snapshot before
     * (null when the route changed), taken over whole when its service is equal and its balancer
     * and retry budget the very same (only its meters are marked kept); else compiled anew, reusing
     * nothing but its meters' holder. Key-auth reads the consumers' keys of the snapshot serving
     * each request ({@link #credentials()}), so consumers never make a route compile again; its
     * namespace's handle is {@code namespaces}', the registry of this chain of compiled snapshots.
     */
    static CompiledRoute destination(Route r, CompiledRoute before, Map<String, Service> services,
                                     Map<String, TargetSelector> selectors, RouteMetersFactory meters, RetryBudgets.Plan budgets,
                                     Namespaces namespaces) {
        Service svc = r.service() == null ? null : services.get(r.service());
        TargetSelector targets = svc == null ? null : selectors.get(svc.upstream());
        if (before != null && (before.service() == svc || Objects.equals(before.service(), svc)) && before.targets() == targets
                && (svc == null || before.retryBudget() == budgets.budget(svc))) {
            meters.reuse(before.meters(), r.keyAuth(), targets == null ? null : svc.upstream(), targets);
            return before;
        }
        KeyAuth keyAuth = r.keyAuth() == null ? null : new KeyAuth(r.keyAuth(), namespaceOf(r), namespaces);
        if (targets == null) {
            RouteMeters unresolved = meters.route(r.id(), null, r.keyAuth(), null, null);
            return new CompiledRoute(r, null, null, keyAuth, unresolved); // unresolved service: 503
        }
        return new CompiledRoute(r, svc, targets, keyAuth, meters.route(r.id(), svc.id(), r.keyAuth(), svc.upstream(), targets),
                budgets.budget(svc));
    }

    /**
     * This compiled snapshot serving {@code next}, whose routes, services, consumers and
     * certificates are this one's and whose upstreams differ only in targets (an endpoint delta,
     * applied to the balancers in place by {@code Balancers.replaceTargets}): the router is reused.
     *
     * @param contentHash {@code next}'s content hash, as the controller sent it
     */
    public CompiledSnapshot withEndpoints(Snapshot next, String contentHash) {
        return new CompiledSnapshot(next, contentHash, router, credentials, index);
    }

    static String namespaceOf(Route r) {
        if (r.source() != null) {
            return r.source().namespace();
        }
        int slash = r.id().indexOf('/');
        return slash < 0 ? "default" : r.id().substring(0, slash);
    }

    public Snapshot snapshot() {
        return snapshot;
    }

    public String contentHash() {
        return contentHash;
    }

    public Router<CompiledRoute> router() {
        return router;
    }

    /** The consumers' keys of this snapshot, which every route's key-auth checks a request's key against. */
    public Credentials credentials() {
        return credentials;
    }
}
