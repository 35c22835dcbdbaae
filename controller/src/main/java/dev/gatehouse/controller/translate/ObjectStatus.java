package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Source;

import java.util.List;

/**
 * What the translator decided about one object.
 *
 * @param source     the object
 * @param conditions Accepted and ResolvedRefs, in that order
 * @param targets    for an Upstream: the number of targets resolved; null for other kinds
 * @param readyTargets for an Upstream: targets with a weight above 0; null for other kinds
 * @param keys       for a Consumer: the keys that authenticate as it (0 when it is refused); null for other kinds
 * @param problems   each problem on its own, {@code field: message}; the false conditions' messages
 *                   join them; the warnings are among them too
 * @param warnings   the parts left out or served differently while the rest is served (an Ingress
 *                   path whose Service is missing, a bad annotation), each with its reason
 */
public record ObjectStatus(Source source, List<StatusCondition> conditions, Integer targets, Integer readyTargets,
                           Integer keys, List<String> problems,
                           @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_EMPTY)
                           List<Warning> warnings) {
    public ObjectStatus {
        conditions = List.copyOf(conditions);
        problems = List.copyOf(problems);
        warnings = List.copyOf(java.util.Objects.requireNonNullElse(warnings, List.of()));
    }

    /** A status without warnings. */
    public ObjectStatus(Source source, List<StatusCondition> conditions, Integer targets, Integer readyTargets,
                        List<String> problems) {
        this(source, conditions, targets, readyTargets, null, problems, List.of());
    }

    public boolean accepted() {
        return conditions.stream().noneMatch(c -> c.type().equals(StatusCondition.ACCEPTED) && !c.status());
    }
}
