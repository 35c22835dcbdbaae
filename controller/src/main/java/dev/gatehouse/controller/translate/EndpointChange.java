package dev.gatehouse.controller.translate;

/**
 * What {@link IncrementalTranslator#endpoints} made of a change of Services or EndpointSlices.
 *
 * @param translation the last translation with the targets and statuses of the Upstreams that read
 *                    the changed Services re-derived; null when the change needs a whole translation
 *                    ({@code fallback} says why), or changed nothing the last translation holds
 * @param upstreams   the Upstreams translated again
 * @param fallback    why a whole translation is needed (a log value, one word), or null
 * @param base        the translation {@code translation} was patched from (the last one returned by
 *                    the translator, whole or patched); null with no translation
 * @param touched     the indexes in {@code translation.statuses()} of the statuses replaced (the
 *                    Upstreams translated again), ascending; every other status is {@code base}'s,
 *                    the same object at the same index
 */
public record EndpointChange(Translation translation, int upstreams, String fallback, Translation base, int[] touched) {
    static final EndpointChange NOTHING = new EndpointChange(null, 0, null, null, new int[0]);

    static EndpointChange fallback(String why) {
        return new EndpointChange(null, 0, why, null, new int[0]);
    }

    /** The change needs a whole translation. */
    public boolean needsFullTranslation() {
        return fallback != null;
    }
}
