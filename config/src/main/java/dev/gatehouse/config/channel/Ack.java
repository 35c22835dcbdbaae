package dev.gatehouse.config.channel;

import java.util.Objects;

/**
 * Proxy to controller: the snapshot of this version and hash is applied and served.
 *
 * @param protocol {@link ChannelMessage#PROTOCOL}
 * @param version  the applied snapshot's version
 * @param hash     the applied snapshot's content hash
 */
public record Ack(int protocol, long version, String hash) implements ChannelMessage {
    public Ack {
        Objects.requireNonNull(hash, "hash");
    }

    public static Ack of(long version, String hash) {
        return new Ack(PROTOCOL, version, hash);
    }
}
