package dev.gatehouse.proxy.tls;

import dev.gatehouse.config.Route;
import io.netty.handler.ssl.SslContext;

import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;

/**
 * Which certificate a handshake gets for its SNI name, built once per snapshot and only read by
 * handshakes (docs/tls.md, "SNI: which certificate a client gets"):
 * <ol>
 *   <li>an exact name ({@code api.example.com});</li>
 *   <li>the most specific wildcard, i.e. the longest suffix: {@code +.suffix} covers exactly
 *       one label before the suffix, {@code *.suffix} one or more (the syntax of
 *       {@link Route#hosts()}); at equal suffix {@code +.} is taken first;</li>
 *   <li>the fallback certificate (the default certificate);</li>
 *   <li>none: the handshake is refused ({@link ServerNameRefusal}).</li>
 * </ol>
 * A client without SNI gets the fallback. Names compare case-insensitively, a trailing dot
 * ignored. Two certificates claiming the same name: the one whose Secret id sorts first (the
 * snapshot's order) is served.
 */
final class CertificateTable {
    static final CertificateTable EMPTY = new CertificateTable(Map.of(), Map.of(), Map.of(), null);

    private final Map<String, SslContext> exact;
    private final Map<String, SslContext> anyDepth;
    private final Map<String, SslContext> oneLabel;
    private final SslContext fallback;
    /**
     * The lengths of the wildcard suffixes, so that a handshake copies out a suffix of its name
     * only when some wildcard could match it: with exact names only (or a name that no
     * wildcard's length fits, such as an address sent as SNI) a lookup allocates nothing.
     */
    private final BitSet suffixLengths = new BitSet();

    private CertificateTable(Map<String, SslContext> exact, Map<String, SslContext> anyDepth,
                             Map<String, SslContext> oneLabel, SslContext fallback) {
        this.exact = exact;
        this.anyDepth = anyDepth;
        this.oneLabel = oneLabel;
        this.fallback = fallback;
        anyDepth.keySet().forEach(k -> suffixLengths.set(k.length()));
        oneLabel.keySet().forEach(k -> suffixLengths.set(k.length()));
    }

    /** The certificate for {@code sni} (null: the client sent none); null when none fits and there is no fallback. */
    SslContext select(String sni) {
        if (sni == null) {
            return fallback;
        }
        String name = normalize(sni);
        SslContext c = exact.get(name);
        if (c != null) {
            return c;
        }
        for (int dot = name.indexOf('.'), label = 0; dot > 0 && dot < name.length() - 1; dot = name.indexOf('.', dot + 1), label++) {
            if (!suffixLengths.get(name.length() - dot - 1)) {
                continue; // no wildcard has a suffix this long: no copy of it
            }
            String suffix = name.substring(dot + 1);
            if (label == 0) {
                c = oneLabel.get(suffix);
                if (c != null) {
                    return c;
                }
            }
            c = anyDepth.get(suffix);
            if (c != null) {
                return c;
            }
        }
        return fallback;
    }

    /** True when some certificate (or the fallback) can be served. */
    boolean isEmpty() {
        return exact.isEmpty() && anyDepth.isEmpty() && oneLabel.isEmpty() && fallback == null;
    }

    static String normalize(String name) {
        String n = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        for (int i = 0; i < n.length(); i++) {
            char ch = n.charAt(i);
            if (ch >= 'A' && ch <= 'Z') {
                return n.toLowerCase(java.util.Locale.ROOT);
            }
        }
        return n;
    }

    /** Collects names in the snapshot's order; the first claim of a name stands. */
    static final class Builder {
        private final Map<String, SslContext> exact = new HashMap<>();
        private final Map<String, SslContext> anyDepth = new HashMap<>();
        private final Map<String, SslContext> oneLabel = new HashMap<>();
        private SslContext fallback;

        void add(String serverName, SslContext context) {
            String name = normalize(serverName);
            if (name.startsWith(Route.ANY_LABELS)) {
                anyDepth.putIfAbsent(name.substring(Route.ANY_LABELS.length()), context);
            } else if (name.startsWith(Route.ONE_LABEL)) {
                oneLabel.putIfAbsent(name.substring(Route.ONE_LABEL.length()), context);
            } else {
                exact.putIfAbsent(name, context);
            }
        }

        void fallback(SslContext context) {
            if (fallback == null) {
                fallback = context;
            }
        }

        CertificateTable build() {
            return new CertificateTable(Map.copyOf(exact), Map.copyOf(anyDepth), Map.copyOf(oneLabel), fallback);
        }
    }
}
