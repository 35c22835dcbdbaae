package dev.gatehouse.proxy.auth;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The raw query string of a request, read lazily: parameters are only decoded when a key is
 * looked up, and {@link #without(String)} rebuilds the query keeping every other parameter byte
 * for byte.
 */
public final class QueryParameters {
    private final String raw;

    /** @param raw the part after {@code ?}, or null */
    public QueryParameters(String raw) {
        this.raw = raw;
    }

    public String raw() {
        return raw;
    }

    public List<String> getAll(String name) {
        if (raw == null || raw.isEmpty()) {
            return List.of();
        }
        List<String> values = new ArrayList<>(1);
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String n = decode(eq < 0 ? pair : pair.substring(0, eq));
            if (n.equals(name)) {
                values.add(eq < 0 ? "" : decode(pair.substring(eq + 1)));
            }
        }
        return values;
    }

    /** The raw query without parameter {@code name}; null when nothing is left. */
    public String without(String name) {
        if (raw == null) {
            return null;
        }
        StringBuilder sb = new StringBuilder(raw.length());
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            if (decode(eq < 0 ? pair : pair.substring(0, eq)).equals(name)) {
                continue;
            }
            if (sb.length() > 0) {
                sb.append('&');
            }
            sb.append(pair);
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    /**
     * A query name or value form-decoded ({@code +} is a space, {@code %XX} UTF-8), as key-auth, query
     * conditions and the access log's redaction all read them; a malformed escape leaves it as sent.
     */
    public static String decode(String s) {
        if (s.indexOf('%') < 0 && s.indexOf('+') < 0) {
            return s;
        }
        try {
            return URLDecoder.decode(s, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }
}
