package dev.gatehouse.controller.translate;

/**
 * A part of an object that cannot be used as written (one Ingress path, one annotation, one
 * backend) while the rest of the object is served. For an Ingress, which has no conditions, each
 * becomes a Warning Event on it.
 *
 * @param reason  the Event's reason
 * @param field   the field at fault, e.g. {@code spec.rules[0].http.paths[1].backend.service.name}
 * @param message what is wrong and what was expected; never holds a secret value
 */
public record Warning(Reason reason, String field, String message) {
    @Override
    public String toString() {
        return field + ": " + message;
    }
}
