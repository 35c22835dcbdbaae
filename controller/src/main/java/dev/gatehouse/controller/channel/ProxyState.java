package dev.gatehouse.controller.channel;

import dev.gatehouse.config.channel.Nack;

import java.time.Instant;

/**
 * One connected proxy as the {@link ChannelServer} sees it; an immutable copy.
 *
 * @param proxyId           the id from the proxy's hello
 * @param remoteAddress     {@code host:port} of the proxy's end of the connection
 * @param connectedSince    when the hello arrived
 * @param lastPushedVersion the version last written to the proxy; 0 when none was
 * @param lastAckedVersion  the newest version the proxy acknowledged (or already had, by hash);
 *                          0 when none
 * @param lastNack          the proxy's last refusal on this connection; null when there was none
 * @param lastAckedContent  the content hash of {@code lastAckedVersion} as this build computes it
 *                          (per object; a legacy proxy's own hash is translated when known); null
 *                          when none or not known
 * @param lastNackContent   the same for {@code lastNack}'s snapshot
 */
public record ProxyState(String proxyId, String remoteAddress, Instant connectedSince,
                         long lastPushedVersion, long lastAckedVersion, Nack lastNack, String lastAckedContent,
                         String lastNackContent) {
}
