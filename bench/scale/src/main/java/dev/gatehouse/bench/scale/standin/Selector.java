package dev.gatehouse.bench.scale.standin;

import tools.jackson.databind.JsonNode;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A label or field selector of equality terms ({@code k=v}, {@code k==v}, {@code k!=v}, comma
 * separated): what the controller's informers send (a credential label on Secrets, {@code type}
 * and {@code metadata.name} fields). Set-based terms ({@code in}, {@code notin}, {@code !k}) are
 * refused with the term named, so a client needing them fails loudly instead of seeing too much.
 */
final class Selector {
    static final Selector ALL = new Selector(false, List.of());
    private record Term(String key, String value, boolean equal) {
    }

    private final boolean fields;
    private final List<Term> terms;

    private Selector(boolean fields, List<Term> terms) {
        this.fields = fields;
        this.terms = terms;
    }

    /** Parses the (URL-encoded) query value; null or empty selects everything. */
    static Selector parse(String encoded, boolean fields) {
        if (encoded == null || encoded.isEmpty()) {
            return ALL;
        }
        String text = URLDecoder.decode(encoded, StandardCharsets.UTF_8);
        List<Term> terms = new ArrayList<>();
        for (String term : text.split(",")) {
            int ne = term.indexOf("!=");
            int eq = term.indexOf('=');
            if (ne > 0) {
                terms.add(new Term(term.substring(0, ne).trim(), term.substring(ne + 2).trim(), false));
            } else if (eq > 0) {
                String value = term.substring(term.startsWith("==", eq) ? eq + 2 : eq + 1);
                terms.add(new Term(term.substring(0, eq).trim(), value.trim(), true));
            } else {
                throw new IllegalArgumentException((fields ? "fieldSelector" : "labelSelector") + ": " + term
                        + " (expected: key=value or key!=value; the stand-in serves equality terms only)");
            }
        }
        return new Selector(fields, terms);
    }

    boolean matches(JsonNode object) {
        for (Term t : terms) {
            String actual = fields ? field(object, t.key()) : object.path("metadata").path("labels").path(t.key()).asString(null);
            boolean same = t.value().equals(actual);
            if (same != t.equal()) {
                return false;
            }
        }
        return true;
    }

    /** A dotted field path ({@code metadata.name}, {@code type}) read from the object; null when absent. */
    private static String field(JsonNode object, String path) {
        JsonNode n = object;
        for (String part : path.split("\\.")) {
            n = n.path(part);
        }
        return n.isValueNode() ? n.asString() : null;
    }
}
