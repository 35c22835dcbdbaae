package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Source;

import java.util.ArrayList;
import java.util.List;

/** Collects what the steps find about one object; becomes its {@link ObjectStatus}. */
final class ObjectReport {
    final Source source;
    /*
     * The three lists start as the shared empty list and become an ArrayList at their first entry:
     * most objects have none, and an incremental translation copies every kept report ({@link
     * #reuse}), so a full-size translation made 81 000 empty lists for nothing.
     */
    private List<String> invalid = List.of();
    private Reason invalidReason = Reason.Invalid;
    private List<String> unresolved = List.of();
    private Reason unresolvedReason = Reason.RefNotFound;
    private List<Warning> warnings = List.of();
    Integer targets;
    Integer readyTargets;
    Integer keys;

    /** The report this one was copied from, unchanged since: its status is reused ({@link #toStatus()}). */
    private ObjectReport base;
    /** For a base: the status last made from it, and the counts it was made with. */
    private ObjectStatus memo;
    private Integer memoTargets;
    private Integer memoReadyTargets;
    private Integer memoKeys;

    ObjectReport(Source source) {
        this.source = source;
    }

    /** A copy of this report as it is now, to keep ({@link TranslationMemo}): later additions to this one do not reach it. */
    ObjectReport keep() {
        return copyOf(null);
    }

    /**
     * A copy of a kept report to go on from, for a translation that reuses an object's outcome.
     * The lists only grow, so a copy with as many entries as this one holds the same ones.
     */
    ObjectReport reuse() {
        return copyOf(this);
    }

    private ObjectReport copyOf(ObjectReport base) {
        ObjectReport c = new ObjectReport(source);
        c.invalid = copy(invalid);
        c.invalidReason = invalidReason;
        c.unresolved = copy(unresolved);
        c.unresolvedReason = unresolvedReason;
        c.warnings = copy(warnings);
        c.targets = targets;
        c.readyTargets = readyTargets;
        c.keys = keys;
        c.base = base;
        return c;
    }

    private static <T> List<T> copy(List<T> list) {
        return list.isEmpty() ? List.of() : new ArrayList<>(list);
    }

    /** {@code list} with {@code entry} added: a list of this report's own from the first entry on. */
    private static <T> List<T> add(List<T> list, T entry) {
        List<T> own = list.isEmpty() ? new ArrayList<>(2) : list;
        own.add(entry);
        return own;
    }

    /** The object cannot be used: it is left out of the snapshot. */
    void invalid(String field, String message) {
        invalid = add(invalid, field + ": " + message);
    }

    /** Another object claims the same thing: this one is left out. */
    void conflict(String field, String message) {
        invalidReason = Reason.Conflict;
        invalid = add(invalid, field + ": " + message);
    }

    /** A reference is missing or not permitted; the object may still be used in part. */
    void unresolved(Reason reason, String field, String message) {
        if (unresolved.isEmpty()) {
            unresolvedReason = reason;
        }
        unresolved = add(unresolved, field + ": " + message);
    }

    /**
     * A part of the object (one path, one annotation) cannot be used as written; the rest is
     * served. A warning about a reference also makes ResolvedRefs false.
     */
    void warn(Reason reason, String field, String message) {
        warnings = add(warnings, new Warning(reason, field, message));
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

    /**
     * The status; when nothing was added since the copy from a base (a reused outcome to which the
     * translation's global checks added no conflict or warning), the same {@link ObjectStatus}
     * object as the last one made with the same counts: equal, and cheap to compare downstream.
     */
    ObjectStatus toStatus() {
        ObjectReport b = base;
        if (b == null || invalid.size() != b.invalid.size() || unresolved.size() != b.unresolved.size()
                || warnings.size() != b.warnings.size() || invalidReason != b.invalidReason) {
            return build();
        }
        synchronized (b) {
            if (b.memo == null || !java.util.Objects.equals(b.memoTargets, targets)
                    || !java.util.Objects.equals(b.memoReadyTargets, readyTargets) || !java.util.Objects.equals(b.memoKeys, keys)) {
                b.memo = build();
                b.memoTargets = targets;
                b.memoReadyTargets = readyTargets;
                b.memoKeys = keys;
            }
            return b.memo;
        }
    }

    private ObjectStatus build() {
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
