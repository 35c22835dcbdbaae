package dev.gatehouse.config;

/**
 * One thing wrong with a snapshot or with an object that was translated into one.
 *
 * @param source  the object at fault; null when the problem is not tied to one object
 * @param field   the path of the offending field, e.g. {@code spec.targets[1].weight}
 * @param message what is wrong and what was expected
 */
public record Problem(Source source, String field, String message) {
    @Override
    public String toString() {
        return (source == null ? "" : source.display() + ": ") + field + ": " + message;
    }
}
