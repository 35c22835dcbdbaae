/**
 * The messages of the snapshot channel between the controller and the proxies, and their JSON.
 *
 * <p>The exchange, over one WebSocket text frame per message (see {@link dev.gatehouse.config.channel.ChannelCodec}):
 * <pre>
 *   proxy                                controller
 *     │ ── hello(proxyId, lastVersion, lastHash, lastEpoch) ──▶
 *     │ ◀── snapshot(version, hash, epoch, snapshot) ───   at once, unless lastHash is the latest hash
 *     │ ── ack(version, hash) | nack(…, errors) ───▶   one answer per applied push
 *     │ ◀── snapshot(…) | endpoints(baseVersion, baseHash, version, hash, epoch, upstreams) ──
 *     │                                   on every publish; only the newest when behind; endpoints
 *     │                                   when only targets changed and the proxy serves the base
 *     │ ── nack(version, errors: [field baseVersion]) ──▶   not at the base: the whole snapshot follows
 * </pre>
 * Messages travel compressed (permessage-deflate) and are limited in decompressed size on both
 * ends; the proxy tells its limit in its hello.
 * Every message carries {@code protocol} ({@value dev.gatehouse.config.channel.ChannelMessage#PROTOCOL});
 * a peer refuses a message with another version rather than guess its meaning. Within one
 * controller {@link dev.gatehouse.config.channel.Epochs epoch} snapshot versions never go back.
 */
package dev.gatehouse.config.channel;
