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
 * access log's thread; the names are copied on write into one immutable holder and read through
 * one volatile field, once per target.
 */
public final class QueryRedaction {
    /** What a redacted value reads as; Kong's log serializer writes the same word. */
    public static final String MARKER = "REDACTED";

    /** Every name and its plain ASCII subset, published together by one volatile write. */
    private volatile Names names = Names.NONE;

    /** Redacts these parameter names from now on (case-insensitive). */
    public synchronized void add(Collection<String> keyNames) {
        Set<String> next = null;
        for (String n : keyNames) {
            String lower = n.toLowerCase(Locale.ROOT);
            if (!names.all().contains(lower)) {
                if (next == null) {
                    next = new HashSet<>(names.all());
                }
                next.add(lower);
            }
        }
        if (next != null) {
            names = Names.of(next);
        }
    }

    /** The names redacted, lower case. */
    public Set<String> names() {
        return names.all();
    }

    /** The request-target as the access log writes it; null for null. */
    public String apply(String target) {
        if (target == null) {
            return null;
        }
        Names redacted = names; // one read: every pair of this target is judged by the same names
        int end = target.indexOf('#');
        if (end < 0 && target.startsWith("/")) {
            int q = target.indexOf('?');
            if (q < 0 || !pairs(target, q + 1, target.length(), redacted, null)) {
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
        pairs(target, q + 1, end, redacted, out);
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

    /**
     * Walks the pairs of the query {@code target[from, end)}, split at {@code &} and {@code ;}, and
     * answers whether any has its value redacted. With {@code out} null it only answers, stopping
     * at the first such pair and allocating nothing; with {@code out} it appends every pair as the
     * log writes it, separators included. A pair without a value ({@code apikey}, {@code apikey=})
     * is written as sent: there is nothing to hide.
     */
    private static boolean pairs(String target, int from, int end, Names redacted, StringBuilder out) {
        if (out == null && redacted.all().isEmpty()) {
            return false;
        }
        boolean any = false;
        int start = from;
        while (start <= end) {
            int stop = start;
            while (stop < end && target.charAt(stop) != '&' && target.charAt(stop) != ';') {
                stop++;
            }
            boolean redact = redacted.redacts(target, start, stop);
            if (out == null) {
                if (redact) {
                    return true;
                }
            } else {
                if (redact) {
                    out.append(target, start, target.indexOf('=', start) + 1).append(MARKER);
                } else {
                    out.append(target, start, stop);
                }
                if (stop < end) {
                    out.append(target.charAt(stop));
                }
            }
            any |= redact;
            start = stop + 1;
        }
        return any;
    }

    /**
     * The names redacted, lower case, and those of them that are plain ASCII (all in practice): what
     * a plain ASCII parameter name is compared with in place. Immutable, so a reader of the one
     * field sees both of the same {@link #add}.
     */
    private record Names(Set<String> all, String[] ascii) {
        static final Names NONE = new Names(Set.of(), new String[0]);

        static Names of(Set<String> names) {
            return new Names(Set.copyOf(names), names.stream().filter(QueryRedaction::isAscii).toArray(String[]::new));
        }

        /**
         * True when the pair {@code target[start, stop)} has a value and a redacted name. A plain
         * ASCII name without escapes is compared in place, ignoring case (what lower-casing it would
         * match); any other is decoded and lower-cased first.
         */
        boolean redacts(String target, int start, int stop) {
            int eq = target.indexOf('=', start);
            if (eq < 0 || eq + 1 >= stop || all.isEmpty()) {
                return false;
            }
            for (int i = start; i < eq; i++) {
                char c = target.charAt(i);
                if (c >= 0x80 || c == '%' || c == '+') {
                    return all.contains(QueryParameters.decode(target.substring(start, eq)).toLowerCase(Locale.ROOT));
                }
            }
            int n = eq - start;
            for (String name : ascii) {
                if (name.length() == n && target.regionMatches(true, start, name, 0, n)) {
                    return true;
                }
            }
            return false;
        }
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
