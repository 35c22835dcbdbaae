package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Service;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The retry budgets of one proxy across snapshots: the in-flight counts of each service by id.
 * As with balancers (STYLE 14), a snapshot's budgets are built aside in a {@link Plan} (a service
 * that stays gets its live counts, with this snapshot's limits; a new one gets fresh counts) and
 * {@link #commit committed} right after the swap, which forgets the services that left. Requests
 * in flight on a service that left finish on the counts they hold. A plan never committed (the
 * snapshot was refused) leaves no trace.
 */
public final class RetryBudgets {
    private volatile Map<String, RetryBudget> live = Map.of();

    /** Starts the budgets of a snapshot to compile, aside from the live ones. */
    public Plan plan() {
        return new Plan(this, live);
    }

    /** Makes {@code plan} the live budgets; call right after the snapshot compiled with it is published. */
    public synchronized void commit(Plan plan) {
        if (plan.owner != this) {
            throw new IllegalArgumentException("plan: of other RetryBudgets (expected: one from this.plan())");
        }
        if (plan.removed == null) {
            live = Map.copyOf(plan.budgets);
            return;
        }
        Map<String, RetryBudget> before = live;
        boolean changed = plan.removed.stream().anyMatch(before::containsKey)
                || plan.budgets.entrySet().stream().anyMatch(e -> before.get(e.getKey()) != e.getValue());
        if (changed) { // a limit changed, or a service came or left: else the live map is already this plan's
            Map<String, RetryBudget> next = new HashMap<>(before);
            plan.removed.forEach(next::remove);
            next.putAll(plan.budgets);
            live = Map.copyOf(next);
        }
    }

    /** Ids of the services whose counts are live. */
    public Set<String> services() {
        return live.keySet();
    }

    /** The budgets of one snapshot being compiled. Built by one thread. */
    public static final class Plan {
        private final RetryBudgets owner;
        private final Map<String, RetryBudget> from;
        private final Map<String, RetryBudget> budgets = new HashMap<>();
        /** Null for a plan of every service; else a delta's plan ({@link #keepUnplanned}): the ids that leave. */
        private Set<String> removed;

        private Plan(RetryBudgets owner, Map<String, RetryBudget> from) {
            this.owner = owner;
            this.from = from;
        }

        /**
         * Makes this a plan of an object delta's services alone: at commit, live budgets it does
         * not name stay, and those of {@code removedIds} go.
         */
        public void keepUnplanned(java.util.Collection<String> removedIds) {
            removed = Set.copyOf(removedIds);
        }

        /**
         * The budget of {@code service} in this snapshot; the same object for every route of the
         * service, and the live one itself while the service's limits stay (so a route compiled
         * with it can be reused as it is).
         */
        public RetryBudget budget(Service service) {
            Objects.requireNonNull(service, "service");
            return budgets.computeIfAbsent(service.id(), id -> {
                RetryBudget live = from.get(id);
                if (live == null) {
                    return new RetryBudget(id, service.retryBudget(), new RetryBudget.InFlight());
                }
                return live.hasLimits(service.retryBudget()) ? live : new RetryBudget(id, service.retryBudget(), live.inFlight());
            });
        }
    }
}
