package dev.gatehouse.config.channel;

/** A channel message that cannot be read: not JSON, an unknown {@code type}, or another protocol version. */
public final class ChannelCodecException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    ChannelCodecException(String message) {
        super(message);
    }

    ChannelCodecException(String message, Throwable cause) {
        super(message, cause);
    }
}
