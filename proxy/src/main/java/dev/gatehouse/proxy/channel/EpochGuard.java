package dev.gatehouse.proxy.channel;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The rule that a snapshot never goes back within one controller epoch: remembers the highest
 * version applied from each of the last {@value #EPOCHS} epochs (least recently used forgotten
 * first), and refuses a push older than that from the same epoch. A new epoch (another replica,
 * a restarted controller) starts its own sequence; a push without an epoch (a controller before
 * epochs) is not checked. Confined to one thread (the client's event loop).
 */
final class EpochGuard {
    static final int EPOCHS = 16;

    private final Map<String, Long> highest = new LinkedHashMap<>(EPOCHS * 2, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
            return size() > EPOCHS;
        }
    };
    private String lastEpoch;

    /** Null when a push of {@code version} from {@code epoch} may be applied; else why not, for a NACK. */
    String refusal(String epoch, long version) {
        if (epoch == null) {
            return null;
        }
        Long held = highest.get(epoch);
        if (held == null || version >= held) {
            return null;
        }
        return version + " (expected: >= " + held + ", the newest version this proxy applied from controller epoch "
                + epoch + "; versions never go back within one epoch)";
    }

    /** The highest version applied from {@code epoch}; -1 when none is remembered. */
    long highest(String epoch) {
        Long held = epoch == null ? null : highest.get(epoch);
        return held == null ? -1 : held;
    }

    /** Records an applied push; {@code epoch} may be null. */
    void applied(String epoch, long version) {
        lastEpoch = epoch;
        if (epoch != null) {
            highest.merge(epoch, version, Math::max);
        }
    }

    /** The epoch of the snapshot applied last; null when none or it had none. */
    String lastEpoch() {
        return lastEpoch;
    }
}
