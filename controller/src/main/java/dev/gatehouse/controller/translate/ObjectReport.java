package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Source;

import java.util.ArrayList;
import java.util.List;

/** Collects what the steps find about one object; becomes its {@link ObjectStatus}. */
final class ObjectReport {
    final Source source;
    private final List<String> invalid = new ArrayList<>();
    private Reason invalidReason = Reason.Invalid;
    private final List<String> unresolved = new ArrayList<>();
    private Reason unresolvedReason = Reason.RefNotFound;
    private final List<Warning> warnings = new ArrayList<>();
    Integer targets;
    Integer readyTargets;
    Integer keys;

    ObjectReport(Source source) {
        this.source = source;
    }

    /** The object cannot be used: it is left out of the snapshot. */
    void invalid(String field, String message) {
        invalid.add(field + ": " + message);
    }

    /** Another object claims the same thing: this one is left out. */
    void conflict(String field, String message) {
        invalidReason = Reason.Conflict;
        invalid.add(field + ": " + message);
    }

    /** A reference is missing or not permitted; the object may still be used in part. */
    void unresolved(Reason reason, String field, String message) {
        if (unresolved.isEmpty()) {
            unresolvedReason = reason;
        }
        unresolved.add(field + ": " + message);
    }

    /**
     * A part of the object (one path, one annotation) cannot be used as written; the rest is
     * served. A warning about a reference also makes ResolvedRefs false.
     */
    void warn(Reason reason, String field, String message) {
        warnings.add(new Warning(reason, field, message));
    }

    boolean isInvalid() {
        return !invalid.isEmpty();
    }

    boolean isUnresolved() {
        return !unresolved.isEmpty();
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    ObjectStatus toStatus() {
        StatusCondition accepted = invalid.isEmpty()
                ? new StatusCondition(StatusCondition.ACCEPTED, true, Reason.Accepted, "accepted")
                : new StatusCondition(StatusCondition.ACCEPTED, false, invalidReason, String.join("; ", invalid));
        List<String> refProblems = new ArrayList<>(unresolved);
        Reason refReason = unresolvedReason;
        for (Warning w : warnings) {
            if (w.reason().isReference()) {
                if (refProblems.isEmpty()) {
                    refReason = w.reason();
                }
                refProblems.add(w.toString());
            }
        }
        // Notes about a certificate that is served (hosts it does not cover, near expiry) ride on the
        // ResolvedRefs message: a GatewayRoute has no other place a user reads, and they change nothing else.
        List<String> notes = warnings.stream().filter(w -> w.reason().isCertificateNote()).map(Warning::toString).toList();
        StatusCondition refs = refProblems.isEmpty()
                ? new StatusCondition(StatusCondition.RESOLVED_REFS, true, Reason.ResolvedRefs, notes.isEmpty()
                        ? "all references resolved" : "all references resolved; " + String.join("; ", notes))
                : new StatusCondition(StatusCondition.RESOLVED_REFS, false, refReason, String.join("; ", concat(refProblems, notes)));
        List<String> problems = new ArrayList<>(invalid);
        problems.addAll(unresolved);
        warnings.forEach(w -> problems.add(w.toString()));
        return new ObjectStatus(source, List.of(accepted, refs), targets, readyTargets, keys, problems, warnings);
    }
}
