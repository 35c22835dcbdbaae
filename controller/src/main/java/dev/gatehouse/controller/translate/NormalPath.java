package dev.gatehouse.controller.translate;

import java.util.ArrayList;
import java.util.List;

/**
 * The normal form of a route's prefix path, as the proxy normalizes a request path before it
 * routes it (docs/routing.md): percent-encoded unreserved characters decoded (RFC 3986 §2.3,
 * so {@code %2e} is a dot), empty segments dropped ({@code //} is {@code /}), then dot segments
 * removed (RFC 3986 §5.2.4, never above the root). A trailing {@code /} is kept. Other escapes
 * ({@code %2F}, invalid ones) stay as written.
 *
 * <p>A prefix that differs from its normal form can never match a normalized request path, so
 * the translator refuses it. Whether a path is normal does not depend on the order of the steps;
 * only the suggested form could, for paths that mix {@code //} and {@code ..}.
 */
final class NormalPath {
    private NormalPath() {
    }

    /** @param path a prefix starting with {@code /} */
    static String of(String path) {
        String decoded = decodeUnreserved(path);
        String[] segments = decoded.split("/", -1);
        List<String> out = new ArrayList<>();
        boolean trailingSlash = false;
        for (int i = 1; i < segments.length; i++) {
            String s = segments[i];
            boolean last = i == segments.length - 1;
            switch (s) {
                case "", "." -> trailingSlash = last;
                case ".." -> {
                    if (!out.isEmpty()) {
                        out.remove(out.size() - 1);
                    }
                    trailingSlash = last;
                }
                default -> {
                    out.add(s);
                    trailingSlash = false;
                }
            }
        }
        StringBuilder sb = new StringBuilder(path.length());
        for (String s : out) {
            sb.append('/').append(s);
        }
        if (trailingSlash || sb.length() == 0) {
            sb.append('/');
        }
        return sb.toString();
    }

    private static String decodeUnreserved(String path) {
        if (path.indexOf('%') < 0) {
            return path;
        }
        StringBuilder sb = new StringBuilder(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '%' && i + 2 < path.length()) {
                int hi = Character.digit(path.charAt(i + 1), 16);
                int lo = Character.digit(path.charAt(i + 2), 16);
                if (hi >= 0 && lo >= 0 && isUnreserved((char) (hi * 16 + lo))) {
                    sb.append((char) (hi * 16 + lo));
                    i += 2;
                    continue;
                }
            }
            sb.append(c);
        }
        return sb.toString();
    }

    /** RFC 3986 §2.3: ALPHA / DIGIT / "-" / "." / "_" / "~". */
    private static boolean isUnreserved(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '-' || c == '.' || c == '_' || c == '~';
    }
}
