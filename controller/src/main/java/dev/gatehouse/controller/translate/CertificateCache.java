package dev.gatehouse.controller.translate;

import io.fabric8.kubernetes.api.model.Secret;

import java.util.HashMap;
import java.util.Map;

/**
 * A memo of {@link TlsSecret#parse}, keyed by the Secret's content ({@link TlsSecret#contentKey}):
 * reading a PEM chain and checking that an EC key is the leaf's costs milliseconds (a point
 * multiplication), too much to redo for every Secret on every rebuild. The result depends on the
 * content only, so the translation stays a function of its input; the expiry, which depends on the
 * time, is checked on every pass.
 *
 * <p>Entries used in the last two translations are kept ({@link #endPass}), so a Secret that
 * changed or left frees its entry: the memo never outgrows the Secrets in use. One owner (the
 * controller's rebuild loop, or local mode's reload) drives it; the methods are synchronized for
 * the rare second caller.
 */
public final class CertificateCache {
    private Map<String, Object> current = new HashMap<>();
    private Map<String, Object> previous = new HashMap<>();

    /** The parsed Secret, from the memo when its content was seen in this or the previous pass. */
    synchronized TlsSecret parse(Secret secret) throws TlsSecret.Refused {
        String key = TlsSecret.contentKey(secret);
        Object result = current.get(key);
        if (result == null) {
            result = previous.get(key);
            if (result == null) {
                try {
                    result = TlsSecret.parse(secret);
                } catch (TlsSecret.Refused e) {
                    result = e;
                }
            }
            current.put(key, result);
        }
        if (result instanceof TlsSecret.Refused refused) {
            throw refused;
        }
        return (TlsSecret) result;
    }

    /** Ends one translation: what it did not use is dropped after the next. */
    synchronized void endPass() {
        previous = current;
        current = new HashMap<>();
    }

    /** Entries held, for tests. */
    synchronized int size() {
        return current.size() + previous.size();
    }
}
