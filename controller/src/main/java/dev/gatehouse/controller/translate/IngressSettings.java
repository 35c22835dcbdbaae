package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Durations;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Upstream;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What an Ingress says through {@code gatehouse.dev/} annotations, for what Ingress itself
 * cannot say (docs/ingress.md has the table). A bad value, or an unknown {@code gatehouse.dev/}
 * annotation, is a warning naming it; the Ingress is then served with that setting's default.
 *
 * @param keyAuth       the key-auth settings of every path (Kong's defaults), or null when off
 * @param stripPath     remove the matched path before forwarding; default false (Ingress forwards the path unchanged)
 * @param algorithm     how each backend's pods are balanced; default round robin
 * @param retries       more targets to try after the first; default {@link Service#DEFAULT_RETRIES}
 * @param timeouts      connect and read from the annotations, write the default
 * @param httpsRedirect answer cleartext requests with 308 to https:// (every route of the Ingress)
 * @param preserveHost  send the client's Host upstream; default true, as every Ingress controller does
 */
record IngressSettings(Route.KeyAuth keyAuth, boolean stripPath, Upstream.Algorithm algorithm, int retries,
                       Service.Timeouts timeouts, boolean httpsRedirect, boolean preserveHost) {
    static final String PREFIX = "gatehouse.dev/";
    static final String KEY_AUTH = PREFIX + "key-auth";
    static final String STRIP_PATH = PREFIX + "strip-path";
    static final String ALGORITHM = PREFIX + "algorithm";
    static final String RETRIES = PREFIX + "retries";
    static final String CONNECT_TIMEOUT = PREFIX + "connect-timeout";
    static final String READ_TIMEOUT = PREFIX + "read-timeout";
    static final String HTTPS_REDIRECT = PREFIX + "https-redirect";
    static final String PRESERVE_HOST = PREFIX + "preserve-host";
    /** Every annotation read, in the order docs/ingress.md lists them. */
    static final List<String> KNOWN = List.of(KEY_AUTH, STRIP_PATH, ALGORITHM, RETRIES, CONNECT_TIMEOUT, READ_TIMEOUT,
            HTTPS_REDIRECT, PRESERVE_HOST);
    static final IngressSettings DEFAULTS = new IngressSettings(null, false, Upstream.Algorithm.ROUND_ROBIN,
            Service.DEFAULT_RETRIES, Service.Timeouts.DEFAULT, false, true);

    static IngressSettings read(Map<String, String> annotations, ObjectReport report) {
        Map<String, String> ours = new TreeMap<>();
        if (annotations != null) {
            annotations.forEach((k, v) -> {
                if (k.startsWith(PREFIX)) {
                    ours.put(k, v);
                }
            });
        }
        for (String key : ours.keySet()) {
            if (!KNOWN.contains(key)) {
                report.warn(Reason.InvalidAnnotation, field(key), "unknown annotation, ignored (expected one of: "
                        + String.join(", ", KNOWN) + ")");
            }
        }
        IngressSettings d = DEFAULTS;
        boolean keyAuth = bool(ours, KEY_AUTH, false, report);
        long connect = duration(ours, CONNECT_TIMEOUT, d.timeouts.connectMillis(), report);
        long read = duration(ours, READ_TIMEOUT, d.timeouts.readMillis(), report);
        return new IngressSettings(keyAuth ? new Route.KeyAuth(null, true, true, false, null) : null,
                bool(ours, STRIP_PATH, d.stripPath, report), algorithm(ours, report), retries(ours, report),
                new Service.Timeouts(connect, read, d.timeouts.writeMillis()),
                bool(ours, HTTPS_REDIRECT, d.httpsRedirect, report), bool(ours, PRESERVE_HOST, d.preserveHost, report));
    }

    static String field(String annotation) {
        return "metadata.annotations[" + annotation + "]";
    }

    private static boolean bool(Map<String, String> a, String key, boolean dflt, ObjectReport report) {
        String v = a.get(key);
        if (v == null) {
            return dflt;
        }
        String t = v.trim().toLowerCase(Locale.ROOT);
        if (t.equals("true") || t.equals("false")) {
            return t.equals("true");
        }
        report.warn(Reason.InvalidAnnotation, field(key), "\"" + v + "\", ignored (expected: \"true\" or \"false\"; default "
                + dflt + ")");
        return dflt;
    }

    private static Upstream.Algorithm algorithm(Map<String, String> a, ObjectReport report) {
        String v = a.get(ALGORITHM);
        if (v == null) {
            return DEFAULTS.algorithm;
        }
        switch (v.trim()) {
            case "RoundRobin":
                return Upstream.Algorithm.ROUND_ROBIN;
            case "LeastConnections":
                return Upstream.Algorithm.LEAST_CONNECTIONS;
            case "LeastLatency":
                return Upstream.Algorithm.LEAST_LATENCY;
            case "ConsistentHash":
                report.warn(Reason.InvalidAnnotation, field(ALGORITHM), "\"ConsistentHash\" needs a hash source, which an "
                        + "annotation cannot give, ignored (expected: RoundRobin, LeastConnections or LeastLatency; for "
                        + "ConsistentHash use an Upstream with hashOn and a GatewayRoute)");
                return DEFAULTS.algorithm;
            default:
                report.warn(Reason.InvalidAnnotation, field(ALGORITHM), "\"" + v
                        + "\", ignored (expected: RoundRobin, LeastConnections or LeastLatency; default RoundRobin)");
                return DEFAULTS.algorithm;
        }
    }

    private static int retries(Map<String, String> a, ObjectReport report) {
        String v = a.get(RETRIES);
        if (v == null) {
            return DEFAULTS.retries;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        report.warn(Reason.InvalidAnnotation, field(RETRIES), "\"" + v + "\", ignored (expected: a whole number >= 0; default "
                + DEFAULTS.retries + ")");
        return DEFAULTS.retries;
    }

    private static long duration(Map<String, String> a, String key, long dflt, ObjectReport report) {
        String v = a.get(key);
        if (v == null) {
            return dflt;
        }
        try {
            long millis = Durations.parseMillis(v.trim());
            if (millis > 0) {
                return millis;
            }
            report.warn(Reason.InvalidAnnotation, field(key), "\"" + v + "\", ignored (expected: a duration > 0; default "
                    + dflt / 1000 + "s)");
        } catch (IllegalArgumentException e) {
            report.warn(Reason.InvalidAnnotation, field(key), e.getMessage() + ", ignored (a bare number of seconds needs "
                    + "its unit: 60s; default " + dflt / 1000 + "s)");
        }
        return dflt;
    }
}
