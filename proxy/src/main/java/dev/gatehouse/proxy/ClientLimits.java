package dev.gatehouse.proxy;

import java.time.Duration;
import java.util.Objects;

/**
 * What one client may hold of a proxy. Every limit has a default (the figure careful proxies
 * use), a flag of {@code gatehouse proxy|local|demo}, a status code, a log line and a counter;
 * docs/operations.md ("Hardening") lists them.
 *
 * <pre>
 * limit                      default   flag                            answer
 * request head deadline      10 s      --request-head-timeout          408, closed
 * idle keep-alive            60 s      --client-idle-timeout           closed, no response
 * requests per connection    1000      --max-requests-per-connection   Connection: close on the last
 * request line / URI         8 KiB     --max-request-line              414, closed
 * header block               60 KiB    --max-header-size               431, closed
 * header fields              100       --max-headers                   431, closed
 * client connections         10 000    --max-connections               closed at accept
 * </pre>
 *
 * @param requestHeadTimeout       from the first byte of a request to the end of its head
 * @param idleTimeout              a connection silent this long while it waits for a request, or
 *                                 for request body, is closed
 * @param maxRequestsPerConnection the response to the last one carries {@code Connection: close}
 * @param maxRequestLine           bytes of the request line
 * @param maxHeaderSize            bytes of the header block
 * @param maxHeaders               header fields in one request
 * @param maxConnections           client connections open at once on this proxy
 */
public record ClientLimits(Duration requestHeadTimeout, Duration idleTimeout, int maxRequestsPerConnection,
                           int maxRequestLine, int maxHeaderSize, int maxHeaders, int maxConnections) {
    public static final ClientLimits DEFAULTS = new ClientLimits(Duration.ofSeconds(10), Duration.ofSeconds(60), 1000,
            8192, 61440, 100, 10_000);

    public ClientLimits {
        Objects.requireNonNull(requestHeadTimeout, "requestHeadTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        positive("requestHeadTimeout", requestHeadTimeout);
        positive("idleTimeout", idleTimeout);
        atLeast("maxRequestsPerConnection", maxRequestsPerConnection, 1);
        atLeast("maxRequestLine", maxRequestLine, 64);
        atLeast("maxHeaderSize", maxHeaderSize, 256);
        atLeast("maxHeaders", maxHeaders, 1);
        atLeast("maxConnections", maxConnections, 1);
    }

    private static void positive(String name, Duration d) {
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(name + ": " + d + " (expected: > 0)");
        }
    }

    private static void atLeast(String name, int value, int min) {
        if (value < min) {
            throw new IllegalArgumentException(name + ": " + value + " (expected: >= " + min + ")");
        }
    }

    public ClientLimits withRequestHeadTimeout(Duration d) {
        return new ClientLimits(d, idleTimeout, maxRequestsPerConnection, maxRequestLine, maxHeaderSize, maxHeaders, maxConnections);
    }

    public ClientLimits withIdleTimeout(Duration d) {
        return new ClientLimits(requestHeadTimeout, d, maxRequestsPerConnection, maxRequestLine, maxHeaderSize, maxHeaders, maxConnections);
    }

    public ClientLimits withMaxRequestsPerConnection(int n) {
        return new ClientLimits(requestHeadTimeout, idleTimeout, n, maxRequestLine, maxHeaderSize, maxHeaders, maxConnections);
    }

    public ClientLimits withMaxHeaders(int n) {
        return new ClientLimits(requestHeadTimeout, idleTimeout, maxRequestsPerConnection, maxRequestLine, maxHeaderSize, n, maxConnections);
    }

    public ClientLimits withMaxConnections(int n) {
        return new ClientLimits(requestHeadTimeout, idleTimeout, maxRequestsPerConnection, maxRequestLine, maxHeaderSize, maxHeaders, n);
    }
}
