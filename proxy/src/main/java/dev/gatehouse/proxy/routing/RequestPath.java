package dev.gatehouse.proxy.routing;

/**
 * The path a request is routed on: percent-encoded unreserved characters decoded
 * (RFC 3986 §2.3, so {@code %2e} is a dot), then dot segments removed (RFC 3986 §5.2.4).
 * Other escapes stay as sent. Without this, {@code /public/../admin} would match a
 * {@code /public} route while the backend serves {@code /admin}; the normalized path is also
 * the one forwarded upstream, as Kong does.
 */
public final class RequestPath {
    private RequestPath() {
    }

    public static String normalize(String path) {
        if (path.indexOf('%') < 0 && path.indexOf('.') < 0) {
            return path;
        }
        return removeDotSegments(decodeUnreserved(path));
    }

    static String decodeUnreserved(String path) {
        if (path.indexOf('%') < 0) {
            return path;
        }
        StringBuilder sb = new StringBuilder(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '%' && i + 2 < path.length()) {
                int hi = Character.digit(path.charAt(i + 1), 16);
                int lo = Character.digit(path.charAt(i + 2), 16);
                if (hi >= 0 && lo >= 0) {
                    char decoded = (char) (hi * 16 + lo);
                    if (isUnreserved(decoded)) {
                        sb.append(decoded);
                        i += 2;
                        continue;
                    }
                }
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private static boolean isUnreserved(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~';
    }

    /** RFC 3986 §5.2.4 on a path that starts with {@code /}. */
    static String removeDotSegments(String path) {
        String[] segments = path.split("/", -1);
        String[] out = new String[segments.length];
        int n = 0;
        for (int i = 1; i < segments.length; i++) {
            String s = segments[i];
            boolean last = i == segments.length - 1;
            if (s.equals(".")) {
                if (last) {
                    out[n++] = "";
                }
            } else if (s.equals("..")) {
                if (n > 0) {
                    n--;
                }
                if (last) {
                    out[n++] = "";
                }
            } else {
                out[n++] = s;
            }
        }
        StringBuilder sb = new StringBuilder(path.length());
        for (int i = 0; i < n; i++) {
            sb.append('/').append(out[i]);
        }
        return sb.length() == 0 ? "/" : sb.toString();
    }
}
