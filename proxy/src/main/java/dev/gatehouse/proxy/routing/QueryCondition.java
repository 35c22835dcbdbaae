package dev.gatehouse.proxy.routing;

import dev.gatehouse.config.Route;
import dev.gatehouse.proxy.auth.QueryParameters;

import java.util.regex.Pattern;

/**
 * One compiled query parameter condition of a route ({@link Route.QueryMatch}). The request's
 * query is scanned in place for the first parameter of the name (names and values percent-decoded,
 * {@code +} read as a space, as HTML forms and the Gateway API's examples encode them); its value
 * must equal the condition's, case-sensitively, or match its regex whole. A parameter without
 * {@code =} has the empty value. Only routes with query conditions read the query at all.
 */
final class QueryCondition {
    private final String name;
    private final String value;
    private final Pattern regex;

    QueryCondition(Route.QueryMatch m) {
        this.name = m.name();
        this.value = m.value();
        this.regex = m.regex() ? Pattern.compile(m.value()) : null;
    }

    boolean matches(String rawQuery) {
        String v = first(rawQuery, name);
        if (v == null) {
            return false;
        }
        return regex == null ? v.equals(value) : regex.matcher(v).matches();
    }

    /** The decoded value of the first parameter named {@code name} in {@code raw}, or null. */
    static String first(String raw, String name) {
        if (raw == null || raw.isEmpty()) {
            return null;
        }
        int start = 0;
        while (start <= raw.length()) {
            int end = raw.indexOf('&', start);
            if (end < 0) {
                end = raw.length();
            }
            int eq = raw.indexOf('=', start);
            int nameEnd = eq < 0 || eq > end ? end : eq;
            if (nameEnd > start && nameIs(raw, start, nameEnd, name)) {
                return nameEnd == end ? "" : QueryParameters.decode(raw.substring(nameEnd + 1, end));
            }
            start = end + 1;
        }
        return null;
    }

    /** Compares without decoding when the raw name has nothing to decode (the usual case). */
    private static boolean nameIs(String raw, int from, int to, String name) {
        for (int i = from; i < to; i++) {
            char c = raw.charAt(i);
            if (c == '%' || c == '+') {
                return QueryParameters.decode(raw.substring(from, to)).equals(name);
            }
        }
        return to - from == name.length() && raw.regionMatches(from, name, 0, name.length());
    }
}
