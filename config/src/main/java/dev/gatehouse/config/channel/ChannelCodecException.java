package dev.gatehouse.config.channel;

/**
 * A channel message that cannot be read: not JSON, an unknown {@code type}, another protocol
 * version, or fields that do not fit the type. When the {@code type} and {@code protocol} were
 * fine but the rest was not, {@link #type()}, {@link #version()} and {@link #hash()} tell what
 * could be read, so a proxy can still NACK a snapshot it cannot parse.
 */
public final class ChannelCodecException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String type;
    private final long version;
    private final String hash;

    ChannelCodecException(String message) {
        this(message, null, null, -1, null);
    }

    ChannelCodecException(String message, Throwable cause) {
        this(message, cause, null, -1, null);
    }

    ChannelCodecException(String message, Throwable cause, String type, long version, String hash) {
        super(message, cause);
        this.type = type;
        this.version = version;
        this.hash = hash;
    }

    /** The message's {@code type} when it was known and its protocol spoken; null otherwise. */
    public String type() {
        return type;
    }

    /** The message's {@code version} field when it was readable; -1 otherwise. */
    public long version() {
        return version;
    }

    /** The message's {@code hash} field when it was readable; null otherwise. */
    public String hash() {
        return hash;
    }
}
