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
 * @param problems   each problem on its own, {@code field: message}; the false conditions' messages
 *                   join them
 */
public record ObjectStatus(Source source, List<StatusCondition> conditions, Integer targets, Integer readyTargets,
                           List<String> problems) {
    public ObjectStatus {
        conditions = List.copyOf(conditions);
        problems = List.copyOf(problems);
    }

    public boolean accepted() {
        return conditions.stream().noneMatch(c -> c.type().equals(StatusCondition.ACCEPTED) && !c.status());
    }
}
