package dev.gatehouse.config.channel;

/**
 * One message of the snapshot channel. The JSON form is an object whose {@code type} names the
 * message ({@code hello}, {@code snapshot}, {@code endpoints}, {@code objects}, {@code ack}, {@code nack}) followed by the record's
 * components; {@link ChannelCodec} reads and writes it.
 */
public sealed interface ChannelMessage permits Hello, SnapshotPush, EndpointDelta, ObjectDelta, Ack, Nack {
    /** The protocol version this build speaks. */
    int PROTOCOL = 1;

    /** The protocol version the sender spoke. */
    int protocol();
}
