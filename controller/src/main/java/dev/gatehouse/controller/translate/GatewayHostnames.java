package dev.gatehouse.controller.translate;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Hostname rules of the Gateway API (HTTPRoute {@code spec.hostnames} against a Listener's
 * {@code hostname}): a name is exact or {@code *.suffix}, which matches any name of one or more
 * labels before the suffix ({@code *.example.com} matches {@code a.example.com} and
 * {@code a.b.example.com}, never {@code example.com}) — the snapshot's {@link
 * dev.gatehouse.config.Route#ANY_LABELS} form. A route attaches to a listener only where the
 * two intersect, and is served for the intersection alone.
 */
final class GatewayHostnames {
    private GatewayHostnames() {
    }

    /**
     * @param listener the listener's hostname; null or empty matches any host
     * @param route    the route's hostnames; empty matches any host
     * @return the hostnames both accept: empty for any host, null when they have none in common
     */
    static List<String> intersect(String listener, List<String> route) {
        String l = listener == null || listener.isEmpty() ? null : listener.toLowerCase(Locale.ROOT);
        if (route.isEmpty()) {
            return l == null ? List.of() : List.of(l);
        }
        List<String> out = new ArrayList<>();
        for (String raw : route) {
            String h = raw.toLowerCase(Locale.ROOT);
            String common = l == null ? h : common(l, h);
            if (common != null && !out.contains(common)) {
                out.add(common);
            }
        }
        return out.isEmpty() ? null : List.copyOf(out);
    }

    /** The more specific of two names when one covers the other; null when they are disjoint. */
    private static String common(String a, String b) {
        if (a.equals(b)) {
            return a;
        }
        boolean wa = a.startsWith("*.");
        boolean wb = b.startsWith("*.");
        if (wa && covers(a, b)) {
            return b;
        }
        if (wb && covers(b, a)) {
            return a;
        }
        return null;
    }

    /** Whether wildcard {@code w} ({@code *.suffix}) matches {@code name}, itself exact or a narrower wildcard. */
    static boolean covers(String w, String name) {
        String suffix = w.substring(1); // ".example.com"
        if (name.startsWith("*.")) {
            return name.length() > w.length() && name.endsWith(suffix);
        }
        return name.length() > suffix.length() && name.endsWith(suffix);
    }

    /** The union of the hostnames of several attachments: empty (any host) wins over everything. */
    static List<String> union(List<List<String>> sets) {
        List<String> out = new ArrayList<>();
        for (List<String> s : sets) {
            if (s.isEmpty()) {
                return List.of();
            }
            s.stream().filter(h -> !out.contains(h)).forEach(out::add);
        }
        out.sort(null);
        return List.copyOf(out);
    }
}
