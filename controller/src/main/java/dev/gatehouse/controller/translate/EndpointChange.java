package dev.gatehouse.controller.translate;

/**
 * What {@link IncrementalTranslator#endpoints} made of a change of Services or EndpointSlices.
 *
 * @param translation the last translation with the targets and statuses of the Upstreams that read
 *                    the changed Services re-derived; null when the change needs a whole translation
 *                    ({@code fallback} says why), or changed nothing the last translation holds
 * @param upstreams   the Upstreams translated again
 * @param fallback    why a whole translation is needed (a log value, one word), or null
 */
public record EndpointChange(Translation translation, int upstreams, String fallback) {
    static final EndpointChange NOTHING = new EndpointChange(null, 0, null);

    static EndpointChange fallback(String why) {
        return new EndpointChange(null, 0, why);
    }

    /** The change needs a whole translation. */
    public boolean needsFullTranslation() {
        return fallback != null;
    }
}
