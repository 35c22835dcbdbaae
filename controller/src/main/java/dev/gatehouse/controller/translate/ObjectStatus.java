package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Source;

import java.util.List;

/**
 * What the translator decided about one object.
 *
 * @param source     the object
 * @param conditions Accepted and ResolvedRefs, in that order
 * @param targets    for an Upstream: the number of targets resolved; null for other kinds
 */
public record ObjectStatus(Source source, List<StatusCondition> conditions, Integer targets) {
    public ObjectStatus {
        conditions = List.copyOf(conditions);
    }

    public boolean accepted() {
        return conditions.stream().noneMatch(c -> c.type().equals(StatusCondition.ACCEPTED) && !c.status());
    }

    /** The messages of every false condition; each names its field. */
    public List<String> problems() {
        return conditions.stream().filter(c -> !c.status()).map(StatusCondition::message).toList();
    }
}
