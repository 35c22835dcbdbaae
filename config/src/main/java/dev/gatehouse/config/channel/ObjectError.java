package dev.gatehouse.config.channel;

import dev.gatehouse.config.Problem;
import dev.gatehouse.config.Source;

import java.util.Objects;

/**
 * One error of a {@link Nack}, keyed by the source object's UID and generation so the controller
 * can set a condition on exactly the object at fault (and only if it has not changed since).
 *
 * @param uid        the source object's {@code metadata.uid}; null for a snapshot-wide error
 * @param generation the source object's generation the error was found in; 0 when there is none
 * @param kind       the source object's kind; null for a snapshot-wide error
 * @param namespace  the source object's namespace; null for a snapshot-wide error
 * @param name       the source object's name; null for a snapshot-wide error
 * @param field      the path of the offending field, e.g. {@code spec.targets[1].weight}
 * @param message    what is wrong and what was expected
 */
public record ObjectError(String uid, long generation, String kind, String namespace, String name,
                          String field, String message) {
    public ObjectError {
        Objects.requireNonNull(message, "message");
    }

    /** The error for a problem; snapshot-wide (no uid) when the problem has no source. */
    public static ObjectError of(Problem problem) {
        Objects.requireNonNull(problem, "problem");
        Source s = problem.source();
        String message = Objects.requireNonNullElse(problem.message(), "");
        if (s == null) {
            return snapshotWide(problem.field(), message);
        }
        return new ObjectError(s.uid(), s.generation(), s.kind(), s.namespace(), s.name(), problem.field(), message);
    }

    /** An error not tied to one object, e.g. a hash mismatch. */
    public static ObjectError snapshotWide(String field, String message) {
        return new ObjectError(null, 0, null, null, null, field, message);
    }

    /** True when the error names no source object. */
    public boolean isSnapshotWide() {
        return uid == null;
    }

    @Override
    public String toString() {
        String where = uid == null ? "" : kind + "/" + namespace + "/" + name + "@" + generation + ": ";
        return where + (field == null ? "" : field + ": ") + message;
    }
}
