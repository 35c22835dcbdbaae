package dev.gatehouse.proxy.channel;

import java.net.URI;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How a proxy reaches its controller.
 *
 * @param controller         {@code ws://host:port/v1/channel} or {@code wss://…}; a URI without a
 *                           path gets {@value #DEFAULT_PATH}, so {@code ws://host:port} is enough
 * @param token              the bearer token; null sends none (a controller without authentication).
 *                           Never printed: {@link #toString()} redacts it.
 * @param proxyId            this proxy's name, e.g. its pod name
 * @param stateDir           where the last acknowledged snapshot is kept ({@code snapshot.json});
 *                           null keeps nothing on disk
 * @param insecureSkipVerify for {@code wss}: trust any certificate and skip host name checks
 *                           (tests with self-signed certificates only)
 * @param caFile             for {@code wss}: the CA certificates (PEM) to trust instead of the
 *                           JDK's; null for the JDK's. Ignored when {@code insecureSkipVerify}.
 */
public record ChannelClientConfig(URI controller, String token, String proxyId, Path stateDir,
                                  boolean insecureSkipVerify, Path caFile) {
    /** The controller's channel path (the server's {@code ChannelServer.PATH}). */
    public static final String DEFAULT_PATH = "/v1/channel";

    public ChannelClientConfig {
        Objects.requireNonNull(controller, "controller");
        String path = controller.getRawPath();
        if (path == null || path.isEmpty() || path.equals("/")) {
            controller = controller.resolve(DEFAULT_PATH);
        }
        Objects.requireNonNull(proxyId, "proxyId");
        String scheme = controller.getScheme();
        if (!"ws".equalsIgnoreCase(scheme) && !"wss".equalsIgnoreCase(scheme)) {
            throw new IllegalArgumentException("controller: " + controller + " (expected: a ws:// or wss:// URI)");
        }
        if (controller.getHost() == null) {
            throw new IllegalArgumentException("controller: " + controller + " (expected: a host)");
        }
        if (proxyId.isBlank()) {
            throw new IllegalArgumentException("proxyId: blank (expected: a name, e.g. the pod name)");
        }
    }

    /** Plain {@code ws://}, no state dir, no TLS options. */
    public static ChannelClientConfig of(URI controller, String token, String proxyId) {
        return new ChannelClientConfig(controller, token, proxyId, null, false, null);
    }

    public boolean tls() {
        return "wss".equalsIgnoreCase(controller.getScheme());
    }

    /** The controller's port, defaulted by scheme (80, 443) when the URI has none. */
    public int port() {
        return controller.getPort() != -1 ? controller.getPort() : tls() ? 443 : 80;
    }

    public ChannelClientConfig withStateDir(Path dir) {
        return new ChannelClientConfig(controller, token, proxyId, dir, insecureSkipVerify, caFile);
    }

    @Override
    public String toString() {
        return "ChannelClientConfig[controller=" + controller + ", token=" + (token == null ? "none" : "[redacted]")
                + ", proxyId=" + proxyId + ", stateDir=" + stateDir + ", insecureSkipVerify=" + insecureSkipVerify
                + ", caFile=" + caFile + "]";
    }
}
