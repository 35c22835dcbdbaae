package dev.gatehouse.proxy.observe;

import dev.gatehouse.proxy.auth.QueryParameters;
import java.util.Collection;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * What the access log writes for a request-target: the target as received, with the value of
 * every query parameter named like a key-auth key replaced by {@value #MARKER}
 * ({@code /profile?apikey=REDACTED&page=2}), the fragment cut off, and the userinfo of an
 * absolute-form target replaced the same way.
 *
 * <p>The names are the {@code keyNames} of every key-auth route of every snapshot this proxy has
 * compiled, added while the snapshot compiles (before it serves) and never removed: a name that
 * left the configuration is still redacted, so a line formatted after a swap can never show a
 * key the swap made unknown. A request on a route without key-auth, or on no route at all (404),
 * is redacted the same way. Names match whatever their case and percent-encoding (a superset of
 * what key-auth itself accepts); pairs are split at {@code &} and {@code ;}. Other parameters are
 * written as sent, as nginx and Envoy do.
 *
 * <p>Thread-safe: {@link #add} runs on the thread that applies snapshots, {@link #apply} on the
 * access log's thread; the set is copied on write and read through one volatile field.
 */
public final class QueryRedaction {
    /** What a redacted value reads as; Kong's log serializer writes the same word. */
    public static final String MARKER = "REDACTED";

    private volatile Set<String> names = Set.of();
    /** The names that are plain ASCII (all in practice): what a plain ASCII parameter name is compared with in place. */
    private volatile String[] asciiNames = {};

    /** Redacts these parameter names from now on (case-insensitive). */
    public synchronized void add(Collection<String> keyNames) {
        Set<String> next = null;
        for (String n : keyNames) {
            String lower = n.toLowerCase(Locale.ROOT);
            if (!names.contains(lower)) {
                if (next == null) {
                    next = new HashSet<>(names);
                }
                next.add(lower);
            }
        }
        if (next != null) {
            asciiNames = next.stream().filter(QueryRedaction::isAscii).toArray(String[]::new);
            names = Set.copyOf(next);
        }
    }

    /** The names redacted, lower case. */
    public Set<String> names() {
        return names;
    }

    /** The request-target as the access log writes it; null for null. */
    public String apply(String target) {
        if (target == null) {
            return null;
        }
        int end = target.indexOf('#');
        if (end < 0 && target.startsWith("/")) {
            int q = target.indexOf('?');
            if (q < 0 || !redactsAny(target, q + 1, target.length())) {
                return target; // origin-form, nothing to redact (most requests): nothing to copy, no allocation
            }
        }
        if (end < 0) {
            end = target.length();
        }
        int q = target.indexOf('?');
        if (q > end) {
            q = -1;
        }
        StringBuilder out = new StringBuilder(end + 8);
        appendPath(out, target, q < 0 ? end : q);
        if (q < 0) {
            return out.toString();
        }
        out.append('?');
        Set<String> redacted = names;
        int start = q + 1;
        while (start <= end) {
            int stop = start;
            while (stop < end && target.charAt(stop) != '&' && target.charAt(stop) != ';') {
                stop++;
            }
            appendPair(out, target, start, stop, redacted);
            if (stop < end) {
                out.append(target.charAt(stop));
            }
            start = stop + 1;
        }
        return out.toString();
    }

    /** The path; an absolute-form target's userinfo ({@code http://user:pass@host/}) is redacted. */
    private static void appendPath(StringBuilder out, String target, int end) {
        int scheme = target.startsWith("/") ? -1 : target.indexOf("://");
        if (scheme > 0 && scheme < end) {
            int authority = scheme + 3;
            int slash = target.indexOf('/', authority);
            int authorityEnd = slash < 0 || slash > end ? end : slash;
            int at = target.lastIndexOf('@', authorityEnd - 1);
            if (at >= authority) {
                out.append(target, 0, authority).append(MARKER).append(target, at, end);
                return;
            }
        }
        out.append(target, 0, end);
    }

    /** A pair without a value ({@code apikey}, {@code apikey=}) is written as sent: there is nothing to hide. */
    private void appendPair(StringBuilder out, String target, int start, int stop, Set<String> redacted) {
        if (!redacts(target, start, stop, redacted)) {
            out.append(target, start, stop);
            return;
        }
        out.append(target, start, target.indexOf('=', start) + 1).append(MARKER);
    }

    /** True when a pair of the query {@code target[from, end)} has its value redacted. */
    private boolean redactsAny(String target, int from, int end) {
        Set<String> redacted = names;
        int start = from;
        while (start <= end && !redacted.isEmpty()) {
            int stop = start;
            while (stop < end && target.charAt(stop) != '&' && target.charAt(stop) != ';') {
                stop++;
            }
            if (redacts(target, start, stop, redacted)) {
                return true;
            }
            start = stop + 1;
        }
        return false;
    }

    /**
     * True when the pair {@code target[start, stop)} has a value and a redacted name. A plain ASCII
     * name without escapes is compared in place, ignoring case (what lower-casing it would match);
     * any other is decoded and lower-cased first.
     */
    private boolean redacts(String target, int start, int stop, Set<String> redacted) {
        int eq = target.indexOf('=', start);
        if (eq < 0 || eq + 1 >= stop || redacted.isEmpty()) {
            return false;
        }
        for (int i = start; i < eq; i++) {
            char c = target.charAt(i);
            if (c >= 0x80 || c == '%' || c == '+') {
                return redacted.contains(QueryParameters.decode(target.substring(start, eq)).toLowerCase(Locale.ROOT));
            }
        }
        int n = eq - start;
        for (String name : asciiNames) {
            if (name.length() == n && target.regionMatches(true, start, name, 0, n)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

}
