package dev.gatehouse.proxy.routing;

import io.netty.util.AsciiString;

import java.util.Locale;

/**
 * The host a request asked for, read once per request: its Host (or the authority of an
 * absolute-form target) as received, the host name without the port as the client wrote it
 * ({@code X-Forwarded-Host}, redirects), and the name the router looks up (lower case, no port, no
 * trailing dot). A request used to make a {@code String} of its Host three times (the gate, the
 * plan and the router); now the gate checks the bytes in place and this makes at most two strings:
 * the name without the port, and its lower-case form only when the client's differs from it
 * (nearly never). The authority as received is kept as the header gave it (for an HTTP/1.1 head a
 * view over the head's bytes) and made a {@code String} only when asked for ({@link #authority()}:
 * a route that preserves the Host, a TLS connection's misdirection check, a redirect).
 */
public final class RequestHost {
    private final CharSequence received;
    private String authority;
    private final String name;
    private final String routingName;

    private RequestHost(CharSequence received, String name, String routingName) {
        this.received = received;
        this.name = name;
        this.routingName = routingName;
    }

    /**
     * @param host the Host value or the absolute-form target's authority as received (any case,
     *             port allowed); null for none
     * @return null when {@code host} is null
     */
    public static RequestHost of(CharSequence host) {
        if (host == null) {
            return null;
        }
        int colon = portColon(host);
        if (colon >= 0) {
            String name = host instanceof AsciiString a ? a.toString(0, colon) : host.subSequence(0, colon).toString();
            return new RequestHost(host, name, routingName(name));
        }
        String whole = host.toString();
        RequestHost h = new RequestHost(host, whole, routingName(whole));
        h.authority = whole;
        return h;
    }

    /**
     * As {@link #of}, to be kept beyond its request: the host as a {@code String} of its own, not
     * a view over a head whose buffer the connection parses its next head into.
     */
    public static RequestHost kept(CharSequence host) {
        return host == null ? null : of(host.toString());
    }

    /**
     * Whether {@code host} is what this was read from, character for character (case included):
     * then it is this host, and a connection's next request may take this object again.
     */
    public boolean sameAs(CharSequence host) {
        return host != null && AsciiString.contentEquals(received, host);
    }

    /** {@link Router}'s form of a host name without its port: trimmed, one trailing dot dropped, lower case. */
    static String routingName(String withoutPort) {
        String h = withoutPort.trim();
        if (h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return h.toLowerCase(Locale.ROOT); // the same String when already lower case
    }

    /**
     * Where the port of {@code uri-host [ ":" port ]} starts: the last colon when it is not inside an
     * IP literal's brackets, else -1. The one rule the gate (which checks the port's digits) and this
     * class (which drops the port) share.
     */
    public static int portColon(CharSequence host) {
        int colon = lastIndexOf(host, ':');
        return colon >= 0 && indexOf(host, ']') < colon ? colon : -1;
    }

    private static int indexOf(CharSequence s, char c) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }

    private static int lastIndexOf(CharSequence s, char c) {
        for (int i = s.length() - 1; i >= 0; i--) {
            if (s.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }

    /** The Host (or absolute-form authority) as received, port included; made a {@code String} on first use. */
    public String authority() {
        String a = authority;
        if (a == null) {
            a = received.toString();
            authority = a;
        }
        return a;
    }

    /** Whether the request named a host at all: an empty Host (allowed by RFC 9112 §3.2) names none. */
    public boolean isEmpty() {
        return received.length() == 0;
    }

    /** The host name without the port, as the client wrote it (case kept). */
    public String name() {
        return name;
    }

    /** What the router looks up: {@link #name()} trimmed, lower case, without a trailing dot. */
    public String routingName() {
        return routingName;
    }

    @Override
    public String toString() {
        return "RequestHost(" + authority() + ")";
    }
}
