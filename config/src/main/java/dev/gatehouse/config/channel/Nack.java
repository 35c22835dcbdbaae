package dev.gatehouse.config.channel;

import java.util.List;
import java.util.Objects;

/**
 * Proxy to controller: the snapshot of this version and hash was refused; the proxy keeps
 * serving the one it had.
 *
 * @param protocol {@link ChannelMessage#PROTOCOL}
 * @param version  the refused snapshot's version
 * @param hash     the refused snapshot's content hash, as pushed
 * @param errors   what is wrong, per source object where the error has one; never empty
 */
public record Nack(int protocol, long version, String hash, List<ObjectError> errors) implements ChannelMessage {
    public Nack {
        Objects.requireNonNull(hash, "hash");
        errors = List.copyOf(Objects.requireNonNullElse(errors, List.of()));
    }

    public static Nack of(long version, String hash, List<ObjectError> errors) {
        return new Nack(PROTOCOL, version, hash, errors);
    }
}
