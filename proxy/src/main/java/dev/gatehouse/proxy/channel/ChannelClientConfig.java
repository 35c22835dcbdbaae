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
 * @param stateDir           where the last acknowledged snapshot is kept with its epoch ({@code state.json});
 *                           null keeps nothing on disk
 * @param insecureSkipVerify for {@code wss}: trust any certificate and skip host name checks
 *                           (tests with self-signed certificates only; no flag sets it)
 * @param caFile             for {@code wss}: the pinned CA certificates (PEM), the only ones
 *                           trusted (never the JDK's trust store); the controller's certificate
 *                           must chain to one of them and name the URI's host. Required for
 *                           {@code wss} unless {@code insecureSkipVerify}; re-read at every
 *                           connection attempt, so a rotated CA needs no restart.
 * @param maxMessageBytes    the largest message taken, counted decompressed; told to the controller
 *                           in the hello. A bigger one is refused with a NACK and the proxy keeps
 *                           serving what it has. {@value #DEFAULT_MAX_MESSAGE_BYTES} by default
 */
public record ChannelClientConfig(URI controller, String token, String proxyId, Path stateDir,
                                  boolean insecureSkipVerify, Path caFile, int maxMessageBytes) {
    /** The controller's channel path (the server's {@code ChannelServer.PATH}). */
    public static final String DEFAULT_PATH = "/v1/channel";
    /** 64 MiB, as the controller's default. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
    /** The smallest limit accepted. */
    public static final int MIN_MAX_MESSAGE_BYTES = 64 * 1024;

    /** A config with the default message limit. */
    public ChannelClientConfig(URI controller, String token, String proxyId, Path stateDir, boolean insecureSkipVerify,
                               Path caFile) {
        this(controller, token, proxyId, stateDir, insecureSkipVerify, caFile, DEFAULT_MAX_MESSAGE_BYTES);
    }

    public ChannelClientConfig {
        if (maxMessageBytes < MIN_MAX_MESSAGE_BYTES) {
            throw new IllegalArgumentException("maxMessageBytes: " + maxMessageBytes + " (expected: >= " + MIN_MAX_MESSAGE_BYTES
                    + ", the largest channel message in bytes; default " + DEFAULT_MAX_MESSAGE_BYTES + ")");
        }
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
        if ("wss".equalsIgnoreCase(scheme) && !insecureSkipVerify && caFile == null) {
            throw new IllegalArgumentException("caFile: missing for " + controller + " (expected: the PEM file of the CA "
                    + "that signed the controller's channel certificate, --ca-file; the JDK's trust store is never used)");
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
        return new ChannelClientConfig(controller, token, proxyId, dir, insecureSkipVerify, caFile, maxMessageBytes);
    }

    public ChannelClientConfig withMaxMessageBytes(int bytes) {
        return new ChannelClientConfig(controller, token, proxyId, stateDir, insecureSkipVerify, caFile, bytes);
    }

    @Override
    public String toString() {
        return "ChannelClientConfig[controller=" + controller + ", token=" + (token == null ? "none" : "[redacted]")
                + ", proxyId=" + proxyId + ", stateDir=" + stateDir + ", insecureSkipVerify=" + insecureSkipVerify
                + ", caFile=" + caFile + ", maxMessageBytes=" + maxMessageBytes + "]";
    }
}
