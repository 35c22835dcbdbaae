package dev.gatehouse.controller.channel;

import dev.gatehouse.config.channel.ObjectError;

import java.util.List;

/**
 * What the {@link ChannelServer} reports about its proxies. Calls come one at a time, in order,
 * from one thread of the server's own (never an event loop); a slow listener delays the next
 * call, not the channel. A listener that throws is logged and keeps being called.
 */
public interface ChannelListener {
    /** {@code proxyId} serves {@code version} (or content equal to it). */
    default void onAck(String proxyId, long version) {
    }

    /** {@code proxyId} refused {@code version} and keeps serving what it had. */
    default void onNack(String proxyId, long version, List<ObjectError> errors) {
    }

    /** {@code proxyId} said hello. */
    default void onConnect(String proxyId) {
    }

    /** {@code proxyId}'s connection closed. */
    default void onDisconnect(String proxyId) {
    }
}
