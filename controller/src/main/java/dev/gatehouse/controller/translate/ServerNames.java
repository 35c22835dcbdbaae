package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Route;

import java.util.ArrayList;
import java.util.List;

/**
 * Which of a route's hosts a certificate's DNS names cover, by RFC 6125 §6.4.3: a SAN
 * {@code *.example.com} stands for exactly one label ({@code a.example.com}, not
 * {@code a.b.example.com} nor {@code example.com}); only a whole left-most label may be a wildcard.
 *
 * <p>Hosts are in the syntax of {@link Route#hosts()}: an exact name is covered by an equal SAN or a
 * wildcard SAN one label above it; {@code +.suffix} (one label) by the SAN {@code *.suffix}; and
 * {@code *.suffix} (any depth) only in part: the SAN {@code *.suffix} covers its one-label names,
 * served as {@code +.suffix}, the deeper ones stay uncovered.
 *
 * @param names     the SNI names to serve the certificate for, in the hosts' order
 * @param uncovered hosts, or parts of hosts, the certificate does not cover, each with why
 */
record ServerNames(List<String> names, List<String> uncovered) {
    static ServerNames cover(List<String> hosts, List<String> dnsNames) {
        List<String> names = new ArrayList<>();
        List<String> uncovered = new ArrayList<>();
        for (String host : hosts) {
            if (host.startsWith(Route.ONE_LABEL) || host.startsWith(Route.ANY_LABELS)) {
                String suffix = host.substring(2);
                if (dnsNames.contains("*." + suffix)) {
                    add(names, Route.ONE_LABEL + suffix);
                    if (host.startsWith(Route.ANY_LABELS)) {
                        uncovered.add(host + " below one label (the SAN *." + suffix + " covers a." + suffix
                                + " but not a.b." + suffix + ")");
                    }
                } else {
                    uncovered.add(host + " (a wildcard host needs the SAN *." + suffix + ")");
                }
            } else if (covers(dnsNames, host)) {
                add(names, host);
            } else {
                uncovered.add(host);
            }
        }
        return new ServerNames(List.copyOf(names), List.copyOf(uncovered));
    }

    /** Whether an exact host name is covered by one of the DNS SANs. */
    static boolean covers(List<String> dnsNames, String host) {
        if (dnsNames.contains(host)) {
            return true;
        }
        int dot = host.indexOf('.');
        return dot > 0 && dot < host.length() - 1 && dnsNames.contains("*." + host.substring(dot + 1));
    }

    private static void add(List<String> names, String name) {
        if (!names.contains(name)) {
            names.add(name);
        }
    }
}
