package dev.gatehouse.config;

/**
 * The path a request is routed on, made once, before routing and before key-auth; it is also
 * the path forwarded upstream (behind the service path). Normalisation, in order:
 *
 * <ol>
 *   <li>percent-encoded unreserved characters are decoded ({@code %2e} is a dot, {@code %7E}
 *       a tilde, RFC 3986 §2.3); every other escape is kept, its hex digits upper-cased
 *       (RFC 3986 §6.2.2.1);</li>
 *   <li>empty segments are merged ({@code //profile} is {@code /profile}, as nginx's
 *       {@code merge_slashes} and Envoy's {@code merge_slashes} do);</li>
 *   <li>dot segments are removed (RFC 3986 §5.2.4).</li>
 * </ol>
 *
 * <p>Refused with 400 ({@link Refused}): a malformed escape ({@code %zz}, {@code %2}), an
 * encoded NUL ({@code %00}), a raw backslash (which some servers read as {@code /}), a
 * {@code ..} that climbs above the root, and a dot segment carrying parameters
 * ({@code /..;/}, which servlet containers read as {@code ..}). Encoded slashes
 * ({@code %2F}, {@code %5C}) survive normalisation; {@link #hasEncodedSlash} lets the caller
 * refuse them unless the matched route allows them.
 *
 * <p>The proxy routes on this path; the translator refuses a route prefix that is not already in
 * this form, as it could never match. The result is idempotent: {@code normalize(normalize(p)).equals(normalize(p))}.
 */
public final class RequestPath {
    /** Why a path is refused; carries no stack trace, as it answers bad input. */
    public static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message, null, false, false);
        }
    }

    public static final String BAD_ESCAPE = "malformed percent-encoding in the path (expected: % followed by two hex digits, RFC 3986 §2.1)";
    public static final String ENCODED_NUL = "%00 in the path (expected: no NUL character)";
    public static final String BACKSLASH = "backslash in the path (expected: / as the only separator)";
    public static final String ABOVE_ROOT = "the path climbs above the root with .. (expected: a path inside /)";
    public static final String DOT_PARAMS = "a dot segment with parameters in the path, such as /..;/ (expected: plain segments)";

    private RequestPath() {
    }

    /**
     * @param path the request path without query, starting with {@code /}
     * @return the normalised path; {@code path} itself when it is already normal
     * @throws Refused when the path must be answered with 400
     */
    public static String normalize(String path) {
        if (isPlain(path)) {
            return path;
        }
        return removeDotSegments(decodeUnreserved(path));
    }

    /**
     * True when nothing in {@code path} needs work: no {@code %}, no {@code \}, no {@code //}, no
     * segment starting with a dot. One pass over the characters, no allocation.
     */
    public static boolean isPlain(String path) {
        char prev = 0;
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '%' || c == '\\' || (prev == '/' && (c == '/' || c == '.'))) {
                return false;
            }
            prev = c;
        }
        return true;
    }

    /** Whether the normalised {@code path} holds {@code %2F} or {@code %5C}. */
    public static boolean hasEncodedSlash(String path) {
        for (int i = path.indexOf('%'); i >= 0 && i + 2 < path.length(); i = path.indexOf('%', i + 1)) {
            char hi = path.charAt(i + 1);
            char lo = path.charAt(i + 2);
            if ((hi == '2' && lo == 'F') || (hi == '5' && lo == 'C')) {
                return true;
            }
        }
        return false;
    }

    public static String decodeUnreserved(String path) {
        if (path.indexOf('%') < 0 && path.indexOf('\\') < 0) {
            return path;
        }
        StringBuilder sb = new StringBuilder(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '\\') {
                throw new Refused(BACKSLASH);
            }
            if (c != '%') {
                sb.append(c);
                continue;
            }
            int hi = i + 2 < path.length() ? Character.digit(path.charAt(i + 1), 16) : -1;
            int lo = i + 2 < path.length() ? Character.digit(path.charAt(i + 2), 16) : -1;
            if (hi < 0 || lo < 0 || path.charAt(i + 1) > 0x7f || path.charAt(i + 2) > 0x7f) {
                throw new Refused(BAD_ESCAPE);
            }
            char decoded = (char) (hi * 16 + lo);
            if (decoded == 0) {
                throw new Refused(ENCODED_NUL);
            }
            if (isUnreserved(decoded)) {
                sb.append(decoded);
            } else {
                sb.append('%').append(Character.toUpperCase(path.charAt(i + 1))).append(Character.toUpperCase(path.charAt(i + 2)));
            }
            i += 2;
        }
        return sb.toString();
    }

    private static boolean isUnreserved(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~';
    }

    /**
     * RFC 3986 §5.2.4 on a path that starts with {@code /}, with empty segments merged; a
     * {@code ..} above the root is refused rather than dropped, as it can only be an attempt
     * to leave the tree the route stands for.
     */
    public static String removeDotSegments(String path) {
        String[] segments = path.split("/", -1);
        String[] out = new String[segments.length];
        int n = 0;
        boolean trailingSlash = false;
        for (int i = 1; i < segments.length; i++) {
            String s = segments[i];
            boolean last = i == segments.length - 1;
            trailingSlash = false;
            if (s.isEmpty()) {
                trailingSlash = last && n > 0;
            } else if (s.equals(".")) {
                trailingSlash = last && n > 0;
            } else if (s.equals("..")) {
                if (n == 0) {
                    throw new Refused(ABOVE_ROOT);
                }
                n--;
                trailingSlash = last && n > 0;
            } else {
                if (s.charAt(0) == '.' && isDotWithParams(s)) {
                    throw new Refused(DOT_PARAMS);
                }
                out[n++] = s;
            }
        }
        StringBuilder sb = new StringBuilder(path.length());
        for (int i = 0; i < n; i++) {
            sb.append('/').append(out[i]);
        }
        if (sb.length() == 0 || trailingSlash) {
            sb.append('/');
        }
        return sb.toString();
    }

    /** {@code .;x} or {@code ..;x}. */
    private static boolean isDotWithParams(String segment) {
        int semi = segment.indexOf(';');
        return semi == 1 || (semi == 2 && segment.charAt(1) == '.');
    }
}
