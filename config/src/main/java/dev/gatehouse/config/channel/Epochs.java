package dev.gatehouse.config.channel;

import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Controller epochs: the name of one run of one controller process, carried by every
 * {@link SnapshotPush}. Versions published in one epoch never go back (the controller refuses
 * to publish a lower one), so a proxy refuses an older version from the same epoch; a new epoch
 * (another replica, or the same one restarted) starts a new sequence.
 *
 * <p>An epoch is 1..{@value #MAX_LENGTH} characters of {@code [0-9a-zA-Z._-]}; the controller makes
 * 16 hex digits (64 random bits), so two runs never share one.
 */
public final class Epochs {
    public static final int MAX_LENGTH = 64;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Epochs() {
    }

    /** A fresh epoch: 16 lowercase hex digits. */
    public static String random() {
        byte[] bytes = new byte[8];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    /** {@code epoch} itself, or null; throws naming {@code field} when it is not a valid epoch. */
    static String check(String field, String epoch) {
        if (epoch == null) {
            return null;
        }
        if (epoch.isEmpty() || epoch.length() > MAX_LENGTH) {
            throw new IllegalArgumentException(field + ": " + epoch.length() + " characters (expected: 1.." + MAX_LENGTH + ")");
        }
        for (int i = 0; i < epoch.length(); i++) {
            char c = epoch.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.' || c == '_' || c == '-')) {
                throw new IllegalArgumentException(field + ": character " + (int) c + " at " + i
                        + " (expected: only 0-9, a-z, A-Z, '.', '_', '-')");
            }
        }
        return epoch;
    }
}
