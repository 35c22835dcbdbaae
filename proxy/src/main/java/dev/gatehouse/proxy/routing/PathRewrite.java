package dev.gatehouse.proxy.routing;

import dev.gatehouse.config.RequestPath;

/**
 * The path sent upstream: the service's path joined with what is left of the request path, as
 * Kong's router does it ({@code get_upstream_uri_v0}): never a doubled slash, a trailing slash of
 * the request kept.
 *
 * <pre>
 * service path  stripPath  request     matched    upstream
 * /             true       /profile    /profile   /
 * /             true       /profile/x  /profile   /x
 * /             true       /profilex   /profile   /x
 * /api          true       /p/x        /p         /api/x
 * /api/         true       /p/x        /p         /api/x
 * /api          false      /p/x        /p         /api/p/x
 * /             false      /p/x        /p         /p/x
 * </pre>
 */
public final class PathRewrite {
    private PathRewrite() {
    }

    /**
     * @param base      the service path, starting with {@code /}
     * @param stripPath whether the matched part is removed
     * @param path      the (normalized) request path
     * @param matched   how many leading characters of {@code path} the route matched
     */
    public static String upstreamPath(String base, boolean stripPath, String path, int matched) {
        boolean baseEndsWithSlash = base.endsWith("/");
        if (!stripPath) {
            if (baseEndsWithSlash) {
                return base.length() == 1 ? path : base + path.substring(1);
            }
            return path.equals("/") ? base : base + path;
        }
        String rest = path.substring(Math.min(matched, path.length()));
        if (baseEndsWithSlash) {
            if (rest.isEmpty()) {
                if (base.length() == 1 || path.endsWith("/")) {
                    return base;
                }
                return base.substring(0, base.length() - 1);
            }
            if (rest.charAt(0) == '/') {
                return base.substring(0, base.length() - 1) + rest;
            }
            return base + rest;
        }
        if (rest.isEmpty()) {
            return path.length() > 1 && path.endsWith("/") ? base + "/" : base;
        }
        return rest.charAt(0) == '/' ? base + rest : base + "/" + rest;
    }

    /**
     * The upstream path in normal form if it stays under the service path {@code base}, else
     * null (the request is refused). The request path is normal, so this only catches a
     * rewrite whose join made a new dot segment: a regex route that strips mid-segment, for
     * instance ({@code /a..} stripped by {@code ~/a} behind {@code /public/} would be
     * {@code /public/../}).
     */
    public static String confined(String base, String upstream) {
        String normal;
        try {
            normal = RequestPath.normalize(upstream);
        } catch (RequestPath.Refused e) {
            return null;
        }
        if (base.length() <= 1 || normal.equals(base)) {
            return normal;
        }
        String dir = base.endsWith("/") ? base : base + "/";
        String bare = dir.substring(0, dir.length() - 1);
        return normal.startsWith(dir) || normal.equals(bare) ? normal : null;
    }
}
