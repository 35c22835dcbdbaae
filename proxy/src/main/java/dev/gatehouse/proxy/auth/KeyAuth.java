package dev.gatehouse.proxy.auth;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.KeyDigest;
import dev.gatehouse.config.Route;
import dev.gatehouse.proxy.http.ErrorReply;
import dev.gatehouse.proxy.http1.HeadFields;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

import java.util.List;

/**
 * Kong's key-auth for one route: finds the key in the headers and/or the query string under the
 * configured names, and accepts it when it belongs to a consumer of the route's namespace.
 *
 * <ul>
 *   <li>a key name present more than once (two headers, a header and a query parameter, two
 *       parameters): 401 {@value ErrorReply#DUPLICATE_KEY};</li>
 *   <li>no key: the anonymous consumer when configured, else 401 {@value ErrorReply#NO_KEY};</li>
 *   <li>a key of no consumer of the namespace: 401 {@value ErrorReply#UNAUTHORIZED}, also when
 *       anonymous is configured (a stricter choice than Kong, which falls back to anonymous).</li>
 * </ul>
 * The key itself is never logged nor put in a message.
 *
 * <p>Holds the route's settings and its namespace's {@link Credentials.Namespace handle} (resolved
 * once, when the route is compiled), not the keys: the keys are the serving snapshot's
 * {@link Credentials}, handed to {@link #authenticate(HttpHeaders, QueryParameters, Credentials)}
 * per request and read at the handle's slot (no look-up by namespace name). So a consumer added,
 * removed or given a new key is seen by every route at once, and a route compiled before it is
 * reused as it is.
 */
public final class KeyAuth {
    private final Route.KeyAuth settings;
    private final String namespace;
    private final Credentials.Namespace handle;
    /** The credentials {@link #authenticate(HttpHeaders, QueryParameters)} reads; null when not bound. */
    private final Credentials bound;

    /**
     * Key-auth of a route of {@code namespace}, reading the credentials each request is given; its
     * handle is {@code namespaces}', the registry of the compiled snapshots whose credentials it reads.
     */
    public KeyAuth(Route.KeyAuth settings, String namespace, Namespaces namespaces) {
        this(settings, namespace, java.util.Objects.requireNonNull(namespaces, "namespaces").handle(namespace), null);
    }

    /** Key-auth bound to {@code credentials}, for {@link #authenticate(HttpHeaders, QueryParameters)}. */
    public KeyAuth(Route.KeyAuth settings, String namespace, Credentials credentials) {
        this(settings, namespace, credentials.namespaces().handle(namespace), credentials);
    }

    private KeyAuth(Route.KeyAuth settings, String namespace, Credentials.Namespace handle, Credentials bound) {
        this.settings = java.util.Objects.requireNonNull(settings, "settings");
        this.namespace = java.util.Objects.requireNonNull(namespace, "namespace");
        this.handle = handle;
        this.bound = bound;
    }

    /** The namespace whose consumers' keys are accepted. */
    public String namespace() {
        return namespace;
    }

    /**
     * The outcome of key-auth.
     *
     * @param message      null on success, else the 401 message
     * @param consumer     the authenticated (or anonymous) consumer on success
     * @param credentialId the credential used; null for anonymous
     * @param anonymous    true when the anonymous consumer was used
     * @param keyHeader    the header that held the key (to remove when hiding credentials), or null
     * @param keyParam     the query parameter that held the key, or null
     */
    public record Outcome(String message, Consumer consumer, String credentialId, boolean anonymous,
                          String keyHeader, String keyParam) {
        public boolean accepted() {
            return message == null;
        }
    }

    public boolean hideCredentials() {
        return settings.hideCredentials();
    }

    /** Against the credentials this key-auth was bound to. */
    public Outcome authenticate(HttpHeaders headers, QueryParameters query) {
        if (bound == null) {
            throw new IllegalStateException("key-auth of namespace " + namespace
                    + ": bound to no credentials (expected: authenticate(headers, query, credentials))");
        }
        return authenticate(headers, query, bound);
    }

    /** @param credentials the consumers' keys of the snapshot serving the request */
    public Outcome authenticate(HttpHeaders headers, QueryParameters query, Credentials credentials) {
        CharSequence key = null;
        String keyHeader = null;
        String keyParam = null;
        int found = 0;
        List<String> names = settings.keyNames();
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            if (settings.keyInHeader()) {
                if (headers instanceof HeadFields fields) {
                    // an HTTP/1.1 head: the key as a view over its bytes, no list and no String
                    int n = fields.count(name);
                    found += n;
                    if (n > 0) {
                        key = fields.firstView(name);
                        keyHeader = name;
                    }
                } else {
                    List<String> values = headers.getAll(name);
                    found += values.size();
                    if (!values.isEmpty()) {
                        key = values.get(0);
                        keyHeader = name;
                    }
                }
            }
            if (settings.keyInQuery()) {
                List<String> values = query.getAll(name);
                found += values.size();
                if (!values.isEmpty()) {
                    key = values.get(0);
                    keyParam = name;
                }
            }
        }
        if (found > 1) {
            return reject(ErrorReply.DUPLICATE_KEY);
        }
        if (key == null || key.length() == 0) {
            Consumer anonymous = credentials.consumer(settings.anonymous());
            if (anonymous != null) {
                return new Outcome(null, anonymous, null, true, keyHeader, keyParam);
            }
            return reject(ErrorReply.NO_KEY);
        }
        Credentials.Holder holder = credentials.find(handle, digest(key));
        if (holder == null) {
            return reject(ErrorReply.UNAUTHORIZED);
        }
        return new Outcome(null, holder.consumer(), holder.credential().id(), false, keyHeader, keyParam);
    }

    /**
     * The key's digest, as {@link KeyDigest#of(String)} gives it for the key read as ISO-8859-1 (as
     * a header value is): an ASCII key's bytes are its UTF-8 bytes, so a view over the head's bytes
     * is digested from a copy of its bytes without making a {@code String}; any other key takes the
     * {@code String} path, so both give the same digest.
     */
    static KeyDigest digest(CharSequence key) {
        if (key instanceof AsciiString view) {
            for (int i = 0; i < view.length(); i++) {
                if (view.byteAt(i) < 0) {
                    return KeyDigest.of(view.toString());
                }
            }
            return KeyDigest.of(view.toByteArray());
        }
        return KeyDigest.of(key.toString());
    }

    private static Outcome reject(String message) {
        return new Outcome(message, null, null, false, null, null);
    }
}
