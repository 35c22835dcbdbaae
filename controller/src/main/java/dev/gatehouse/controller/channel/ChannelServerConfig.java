package dev.gatehouse.controller.channel;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where and how the {@link ChannelServer} listens.
 *
 * @param address the address to bind, e.g. {@code 0.0.0.0} in a pod, {@code 127.0.0.1} in tests
 * @param port    the port to bind; 0 picks a free one ({@link ChannelServer#port()} tells which)
 * @param token   the bearer token every proxy must send; null turns authentication off (tests
 *                and local mode only). Never printed: {@link #toString()} redacts it.
 * @param tlsCert the server certificate chain (PEM); null with {@code tlsKey} for plain WebSocket
 * @param tlsKey  the certificate's private key (PEM: PKCS#8, PKCS#1 RSA or SEC1 EC); null with {@code tlsCert}.
 *                Both files are re-read every 10 s; a changed pair serves new connections
 * @param maxMessageBytes the largest message sent or taken, counted decompressed: a snapshot
 *                bigger than this (or than a proxy's own limit, from its hello) is not sent
 *                ({@code event=channel.oversize}); {@value #DEFAULT_MAX_MESSAGE_BYTES} by default
 * @param catchUpVersions the versions before the latest a proxy can catch up from with one delta
 *                ({@code --catch-up-versions}, 1: only the version just before); a proxy further
 *                behind gets the whole snapshot. Each version is kept as its decoded snapshot
 *                (never its encoded messages), {@value #DEFAULT_CATCH_UP_VERSIONS} by default
 */
public record ChannelServerConfig(String address, int port, String token, Path tlsCert, Path tlsKey, int maxMessageBytes,
                                  int catchUpVersions) {
    /** 64 MiB: a snapshot of 10 000 routes and 50 000 endpoints is about 12 MiB. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
    /** Below this even a small cluster's snapshot would not fit. */
    public static final int MIN_MAX_MESSAGE_BYTES = 64 * 1024;
    /**
     * 32: a rollout publishes a version every few tens of milliseconds, and a proxy applying a
     * whole snapshot at full size (seconds) falls that many behind and catches up with one delta.
     */
    public static final int DEFAULT_CATCH_UP_VERSIONS = 32;
    /** Beyond this the snapshots kept cost more memory than the whole snapshot they save sending. */
    public static final int MAX_CATCH_UP_VERSIONS = 1024;

    public ChannelServerConfig {
        if (maxMessageBytes < MIN_MAX_MESSAGE_BYTES) {
            throw new IllegalArgumentException("maxMessageBytes: " + maxMessageBytes + " (expected: >= " + MIN_MAX_MESSAGE_BYTES
                    + ", the channel's message limit in bytes; default " + DEFAULT_MAX_MESSAGE_BYTES + ")");
        }
        Objects.requireNonNull(address, "address");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0..65535)");
        }
        if (token != null && token.isBlank()) {
            throw new IllegalArgumentException("token: blank (expected: a non-blank token, or null for no authentication)");
        }
        if ((tlsCert == null) != (tlsKey == null)) {
            throw new IllegalArgumentException("tlsCert, tlsKey: only one given (expected: both for TLS, neither for plain)");
        }
        if (catchUpVersions < 1 || catchUpVersions > MAX_CATCH_UP_VERSIONS) {
            throw new IllegalArgumentException("--catch-up-versions: " + catchUpVersions + " (expected: 1.." + MAX_CATCH_UP_VERSIONS
                    + ", the versions behind the latest a proxy may be and still get one delta)");
        }
    }

    /** The default catch-up window. */
    public ChannelServerConfig(String address, int port, String token, Path tlsCert, Path tlsKey, int maxMessageBytes) {
        this(address, port, token, tlsCert, tlsKey, maxMessageBytes, DEFAULT_CATCH_UP_VERSIONS);
    }

    /** A server with the default message limit. */
    public ChannelServerConfig(String address, int port, String token, Path tlsCert, Path tlsKey) {
        this(address, port, token, tlsCert, tlsKey, DEFAULT_MAX_MESSAGE_BYTES);
    }

    public ChannelServerConfig withMaxMessageBytes(int bytes) {
        return new ChannelServerConfig(address, port, token, tlsCert, tlsKey, bytes, catchUpVersions);
    }

    /** With {@code n} versions a proxy can catch up from with one delta ({@code --catch-up-versions}). */
    public ChannelServerConfig withCatchUpVersions(int n) {
        return new ChannelServerConfig(address, port, token, tlsCert, tlsKey, maxMessageBytes, n);
    }

    /** A plain, unauthenticated server on loopback: tests and local mode. */
    public static ChannelServerConfig loopback(int port) {
        return new ChannelServerConfig("127.0.0.1", port, null, null, null);
    }

    public boolean tls() {
        return tlsCert != null;
    }

    @Override
    public String toString() {
        return "ChannelServerConfig[address=" + address + ", port=" + port
                + ", token=" + (token == null ? "none" : "[redacted]")
                + ", tlsCert=" + tlsCert + ", tlsKey=" + tlsKey + ", maxMessageBytes=" + maxMessageBytes
                + ", catchUpVersions=" + catchUpVersions + "]";
    }
}
