package dev.gatehouse.controller.translate;

/**
 * A condition as the translator decides it, without the clock-dependent fields
 * ({@code lastTransitionTime}, {@code observedGeneration}) that the status writer adds.
 *
 * @param type    Accepted, ResolvedRefs or Programmed
 * @param status  true or false
 * @param reason  why
 * @param message for a false condition: {@code field: what is wrong (expected: …)}
 */
public record StatusCondition(String type, boolean status, Reason reason, String message) {
    public static final String ACCEPTED = "Accepted";
    public static final String RESOLVED_REFS = "ResolvedRefs";
    public static final String PROGRAMMED = "Programmed";
}
