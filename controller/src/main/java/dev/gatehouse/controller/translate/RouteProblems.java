package dev.gatehouse.controller.translate;

import dev.gatehouse.controller.translate.GatewayApiStatus.Condition;

import java.util.ArrayList;
import java.util.List;

/**
 * What one HTTPRoute's translation found wrong, as the route's {@code ResolvedRefs} and
 * {@code PartiallyInvalid} conditions: references that cannot be used (with the spec's reason of
 * the first one), and parts left out or answered with an error because Gatehouse cannot apply them.
 */
final class RouteProblems {
    private final List<String> refs = new ArrayList<>();
    private String refReason;
    private final List<String> unsupported = new ArrayList<>();

    /** A backendRef that cannot be used: {@code BackendNotFound}, {@code RefNotPermitted}, {@code InvalidKind}. */
    void ref(String reason, String field, String message) {
        if (refReason == null) {
            refReason = reason;
        }
        refs.add(field + ": " + message);
    }

    /** A match or filter Gatehouse cannot apply; the message says what happens to the requests instead. */
    void unsupported(String field, String message) {
        unsupported.add(field + ": " + message);
    }

    boolean partial() {
        return !unsupported.isEmpty();
    }

    String unsupportedText() {
        return String.join("; ", unsupported);
    }

    Condition resolvedRefs() {
        return refs.isEmpty() ? new Condition("ResolvedRefs", true, "ResolvedRefs", "all references resolved")
                : new Condition("ResolvedRefs", false, refReason, String.join("; ", refs));
    }

    /** The {@code PartiallyInvalid} condition, or null when every rule is served as written. */
    Condition partiallyInvalid() {
        return unsupported.isEmpty() ? null : new Condition("PartiallyInvalid", true, "UnsupportedValue", unsupportedText());
    }
}
