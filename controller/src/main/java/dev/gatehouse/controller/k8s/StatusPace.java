package dev.gatehouse.controller.k8s;

/**
 * The pace of one status pass, handed by the {@link StatusUpdater} to the Ingress and Gateway API
 * status writers so that every write to the API server, of any kind, draws on the one budget of
 * {@code --status-writes-per-second}. A writer asks for a permit right before each write it has
 * decided to make (never for an object it skips), and stops its pass when refused.
 */
@FunctionalInterface
public interface StatusPace {
    /** Never waits, never refuses: for callers outside the status updater (tests). */
    StatusPace UNPACED = () -> true;

    /**
     * Waits for the budget and takes one write from it.
     *
     * @return false when the pass should stop instead: a newer state arrived (the next pass starts
     *         from it), leadership ended or the updater closed
     */
    boolean permit();
}
