package dev.gatehouse.proxy.routing;

import dev.gatehouse.config.Route;
import dev.gatehouse.config.RouteFilters;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AsciiString;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A route's filters and direct answer ({@link RouteFilters}, {@link Route#directStatus()}), compiled
 * once per snapshot: header names as {@link AsciiString}s, statuses as Netty statuses. A route
 * without any has none ({@link #of} returns null), so the request path checks one reference and
 * allocates nothing for it. The snapshot validator refused names, values and paths the proxy could
 * not write, so applying never throws.
 */
public final class CompiledFilters {
    /** The message of a {@link Route#directStatus() direct answer}. */
    public static final String DIRECT = "the route answers this status itself: it has no backend to send the request to";

    private final Edits request;
    private final Edits response;
    private final RouteFilters.Redirect redirect;
    private final HttpResponseStatus redirectStatus;
    private final String fullPath;
    private final HttpResponseStatus directStatus;
    /** With a share: {@code part} of every {@code of} requests get {@link #directStatus}; 0 and 0 otherwise. */
    private final long part;
    private final long of;
    /** Requests seen by a route with a share; shared by every event loop, so an atomic (only such routes pay for it). */
    private final AtomicLong arrivals = new AtomicLong();

    private CompiledFilters(RouteFilters f, Integer direct, Route.Share share) {
        this.request = f == null ? null : Edits.of(f.request());
        this.response = f == null ? null : Edits.of(f.response());
        this.redirect = f == null ? null : f.redirect();
        this.redirectStatus = redirect == null ? null : HttpResponseStatus.valueOf(redirect.statusCode());
        this.fullPath = f == null ? null : f.fullPath();
        this.directStatus = direct == null ? null : HttpResponseStatus.valueOf(direct);
        this.part = share == null ? 0 : share.part();
        this.of = share == null ? 0 : share.of();
    }

    /** The compiled filters of {@code r}; null when it has none. */
    public static CompiledFilters of(Route r) {
        return r.filters() == null && r.directStatus() == null ? null
                : new CompiledFilters(r.filters(), r.directStatus(), r.directShare());
    }

    /** Whether the route answers every request itself (a redirect, or a direct status without a share). */
    public boolean answersAll() {
        return redirectStatus != null || (directStatus != null && of == 0);
    }

    /**
     * The status this request gets from the route itself, or null when it goes upstream. With a share, the
     * {@code n}-th request gets the direct status when {@code floor((k+1)·part/of) > floor(k·part/of)},
     * {@code k = n mod of}: exactly {@code part} of every {@code of} consecutive requests, spread evenly
     * (the Bresenham line), whatever the event loops.
     */
    public HttpResponseStatus answer() {
        if (redirectStatus != null) {
            return redirectStatus;
        }
        if (directStatus == null) {
            return null;
        }
        if (of == 0) {
            return directStatus;
        }
        long k = Long.remainderUnsigned(arrivals.getAndIncrement(), of);
        return (k + 1) * part / of > k * part / of ? directStatus : null;
    }

    public boolean redirects() {
        return redirect != null;
    }

    /**
     * The redirect's {@code Location}: {@code scheme://host[:port]path[?query]}; null when the request has
     * no Host and the redirect names none (the caller answers 400).
     *
     * @param tls        the request came in on the TLS port (the scheme kept is then https)
     * @param clientHost the Host the client asked for, port allowed; null when none
     * @param match      the match, whose normalised path and matched length a prefix replacement reads
     * @param query      the query to keep (after {@code ?}), or null
     */
    public String location(boolean tls, String clientHost, RouteMatch<?> match, String query) {
        String scheme = redirect.scheme() != null ? redirect.scheme() : tls ? "https" : "http";
        String host = redirect.hostname();
        if (host == null) {
            if (clientHost == null || clientHost.isEmpty()) {
                return null;
            }
            host = hostWithoutPort(clientHost);
        }
        Integer port = redirect.port();
        if (port == null && redirect.scheme() == null) {
            port = tls ? redirect.tlsListenerPort() : redirect.listenerPort(); // the Gateway API: the listener's port
        }
        boolean defaultPort = port == null || (port == 80 && scheme.equals("http")) || (port == 443 && scheme.equals("https"));
        String path = redirect.fullPath() != null ? redirect.fullPath()
                : redirect.prefix() != null ? PathRewrite.upstreamPath(redirect.prefix(), true, match.path(), match.matched())
                : match.path();
        StringBuilder sb = new StringBuilder(scheme.length() + host.length() + path.length() + 16)
                .append(scheme).append("://").append(host);
        if (!defaultPort) {
            sb.append(':').append(port.intValue());
        }
        sb.append(path);
        if (query != null) {
            sb.append('?').append(query);
        }
        return sb.toString();
    }

    /** The path to send upstream behind the service path {@code base}. */
    public String upstreamPath(String base, RouteMatch<?> match) {
        return fullPath == null ? match.upstreamPath(base) : PathRewrite.upstreamPath(base, false, fullPath, 0);
    }

    /** Applies the request header edits to the head going upstream. */
    public void editRequest(HttpHeaders h) {
        if (request != null) {
            request.apply(h);
        }
    }

    /** Applies the response header edits to the head going to the client. */
    public void editResponse(HttpHeaders h) {
        if (response != null) {
            response.apply(h);
        }
    }

    static String hostWithoutPort(String host) {
        int colon = host.lastIndexOf(':');
        return colon >= 0 && host.indexOf(']') < colon ? host.substring(0, colon) : host;
    }

    /**
     * Header edits in Envoy's order, which Envoy Gateway users know: every {@code remove} first, then
     * {@code set} (replacing all values of the name), then {@code add} (appending a field line).
     */
    static final class Edits {
        private final AsciiString[] remove;
        private final AsciiString[] setNames;
        private final String[] setValues;
        private final AsciiString[] addNames;
        private final String[] addValues;

        private Edits(RouteFilters.HeaderEdits e) {
            this.remove = e.remove().stream().map(AsciiString::of).toArray(AsciiString[]::new);
            this.setNames = names(e.set());
            this.setValues = e.set().stream().map(RouteFilters.Header::value).toArray(String[]::new);
            this.addNames = names(e.add());
            this.addValues = e.add().stream().map(RouteFilters.Header::value).toArray(String[]::new);
        }

        static Edits of(RouteFilters.HeaderEdits e) {
            return e == null || e.isEmpty() ? null : new Edits(e);
        }

        private static AsciiString[] names(List<RouteFilters.Header> headers) {
            return headers.stream().map(h -> AsciiString.of(h.name())).toArray(AsciiString[]::new);
        }

        void apply(HttpHeaders h) {
            for (AsciiString name : remove) {
                h.remove(name);
            }
            for (int i = 0; i < setNames.length; i++) {
                h.set(setNames[i], setValues[i]);
            }
            for (int i = 0; i < addNames.length; i++) {
                h.add(addNames[i], addValues[i]);
            }
        }
    }
}
