package dev.gatehouse.controller.translate;

import dev.gatehouse.controller.translate.GatewayApiStatus.Condition;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Which listeners of one Gateway are not distinct, as the spec defines it (gateway_types.go,
 * "Listeners"): on one port, every protocol must be compatible (HTTPS and TLS are; HTTP and HTTPS, or
 * anything and TCP or UDP, are not: {@code ProtocolConflict}), and listeners of one protocol on one
 * port must differ by hostname (an absent hostname is one value: {@code HostnameConflict}). The spec
 * then forbids picking a winner: every listener of a conflicting set is refused. TLS settings do not
 * make listeners distinct.
 */
final class GatewayListenerConflicts {
    private static final Set<String> TLS_FAMILY = Set.of("HTTPS", "TLS");

    private GatewayListenerConflicts() {
    }

    /** The {@code Conflicted=True} condition of each conflicted listener, by its index in {@code spec.listeners}. */
    static Map<Integer, Condition> of(List<Listener> listeners) {
        Map<Integer, List<String>> protocol = new TreeMap<>();
        Map<Integer, List<String>> hostname = new TreeMap<>();
        for (int i = 0; i < listeners.size(); i++) {
            for (int j = i + 1; j < listeners.size(); j++) {
                Listener a = listeners.get(i);
                Listener b = listeners.get(j);
                if (a.getPort() == null || !a.getPort().equals(b.getPort())) {
                    continue;
                }
                String pa = Objects.requireNonNullElse(a.getProtocol(), "");
                String pb = Objects.requireNonNullElse(b.getProtocol(), "");
                if (!pa.equals(pb) && !(TLS_FAMILY.contains(pa) && TLS_FAMILY.contains(pb))) {
                    protocol.computeIfAbsent(i, k -> new ArrayList<>()).add(name(b) + " (" + pb + ")");
                    protocol.computeIfAbsent(j, k -> new ArrayList<>()).add(name(a) + " (" + pa + ")");
                } else if (pa.equals(pb) && host(a).equals(host(b))) {
                    hostname.computeIfAbsent(i, k -> new ArrayList<>()).add(name(b));
                    hostname.computeIfAbsent(j, k -> new ArrayList<>()).add(name(a));
                }
            }
        }
        Map<Integer, Condition> out = new TreeMap<>();
        hostname.forEach((i, others) -> out.put(i, new Condition("Conflicted", true, "HostnameConflict",
                "port " + listeners.get(i).getPort() + ", protocol " + listeners.get(i).getProtocol() + " and "
                        + describe(host(listeners.get(i))) + " are also those of " + String.join(", ", others)
                        + " (expected: listeners of one protocol on one port differ by hostname; none of them is served)")));
        protocol.forEach((i, others) -> out.put(i, new Condition("Conflicted", true, "ProtocolConflict",
                "port " + listeners.get(i).getPort() + " is also used by " + String.join(", ", others) + " with another "
                        + "protocol than " + listeners.get(i).getProtocol() + " (expected: one protocol per port, or HTTPS "
                        + "and TLS; none of them is served)")));
        return out;
    }

    private static String name(Listener l) {
        return "listener " + Objects.requireNonNullElse(l.getName(), "");
    }

    private static String host(Listener l) {
        return l.getHostname() == null ? "" : l.getHostname().toLowerCase(Locale.ROOT);
    }

    private static String describe(String host) {
        return host.isEmpty() ? "no hostname" : "hostname " + host;
    }
}
