package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Upstream.Target;

/** Parses {@code host:port} target addresses; IPv6 literals in brackets. */
final class Addresses {
    private Addresses() {
    }

    /**
     * @return the target, or throws with a message that says what was expected
     */
    static Target parse(String address, int weight) {
        String expected = " (expected: host:port, e.g. 10.0.0.7:9001, echo.default.svc:80 or [::1]:9001)";
        if (address == null || address.isBlank()) {
            throw new IllegalArgumentException("empty" + expected);
        }
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new IllegalArgumentException("\"" + address + "\" has no port" + expected);
        }
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        } else if (host.indexOf(':') >= 0) {
            throw new IllegalArgumentException("\"" + address + "\": an IPv6 address needs brackets" + expected);
        }
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + address + "\" has no numeric port" + expected);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("\"" + address + "\": port " + port + " (expected: 1..65535)");
        }
        if (host.isEmpty() || host.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("\"" + address + "\" has no host" + expected);
        }
        return new Target(host, port, weight);
    }
}
