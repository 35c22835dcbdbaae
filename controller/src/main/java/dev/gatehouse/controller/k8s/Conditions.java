package dev.gatehouse.controller.k8s;

import dev.gatehouse.controller.translate.StatusCondition;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Turns the translator's decisions into Kubernetes conditions (metav1.Condition): adds
 * {@code observedGeneration}, and keeps {@code lastTransitionTime} unless the condition's
 * status changed, so a status write happens only when something a user can see changed.
 */
public final class Conditions {
    private Conditions() {
    }

    /**
     * @param existing   the conditions on the object now (may be null)
     * @param desired    what they should say
     * @param generation the object's {@code metadata.generation} (null: 0)
     * @param now        RFC 3339 time used for conditions whose status changes
     */
    public static List<Condition> merge(List<Condition> existing, List<StatusCondition> desired, Long generation, String now) {
        List<Condition> out = new ArrayList<>();
        for (StatusCondition d : desired) {
            Condition old = existing == null ? null
                    : existing.stream().filter(c -> d.type().equals(c.getType())).findFirst().orElse(null);
            String status = d.status() ? "True" : "False";
            String since = old != null && status.equals(old.getStatus()) && old.getLastTransitionTime() != null
                    ? old.getLastTransitionTime() : now;
            out.add(new ConditionBuilder().withType(d.type()).withStatus(status).withReason(d.reason().name())
                    .withMessage(truncate(d.message())).withObservedGeneration(generation == null ? 0L : generation)
                    .withLastTransitionTime(since).build());
        }
        return out;
    }

    /** Equal in everything a user sees (type, status, reason, message, observedGeneration, time). */
    public static boolean same(List<Condition> a, List<Condition> b) {
        if (a == null || b == null) {
            return a == b || (a == null ? b.isEmpty() : a.isEmpty());
        }
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            Condition x = a.get(i);
            Condition y = b.get(i);
            if (!Objects.equals(x.getType(), y.getType()) || !Objects.equals(x.getStatus(), y.getStatus())
                    || !Objects.equals(x.getReason(), y.getReason()) || !Objects.equals(x.getMessage(), y.getMessage())
                    || !Objects.equals(x.getObservedGeneration(), y.getObservedGeneration())
                    || !Objects.equals(x.getLastTransitionTime(), y.getLastTransitionTime())) {
                return false;
            }
        }
        return true;
    }

    /** metav1.Condition messages are limited to 32768 bytes. */
    private static String truncate(String message) {
        return message.length() <= 32_000 ? message : message.substring(0, 32_000) + " …";
    }
}
