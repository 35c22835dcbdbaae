package dev.gatehouse.controller.channel;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Lets only the upgrade request for {@link ChannelServer#PATH} with the right bearer token
 * (RFC 6750 §2.1, {@code Authorization: Bearer <token>}) through to the WebSocket handshake, then
 * removes itself. Anything else gets a short plain-text answer and the connection closed:
 * 404 for another path, 401 with {@code WWW-Authenticate: Bearer} for a missing or wrong token.
 *
 * <p>Tokens are compared as SHA-256 digests with {@link MessageDigest#isEqual}, so the time taken
 * depends neither on where they differ nor on the length of the token offered. The token is
 * never logged; the log line names the remote address and whether a header was there at all.
 */
final class UpgradeGate extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(UpgradeGate.class);
    private static final String BEARER = "Bearer ";

    /** SHA-256 of the expected token; null when authentication is off. */
    private final byte[] tokenDigest;

    UpgradeGate(byte[] tokenDigest) {
        this.tokenDigest = tokenDigest;
    }

    static byte[] digest(String token) {
        if (token == null) {
            return null;
        }
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest request)) {
            ctx.fireChannelRead(msg);
            return;
        }
        String path = new QueryStringDecoder(request.uri()).path();
        if (!ChannelServer.PATH.equals(path)) {
            ReferenceCountUtil.release(request);
            LOG.info("event=channel.refused reason=not-found remote={}", ChannelServer.remote(ctx.channel()));
            refuse(ctx, HttpResponseStatus.NOT_FOUND, "not found: the channel is at " + ChannelServer.PATH + "\n");
            return;
        }
        if (tokenDigest != null) {
            String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
            if (!authorized(authorization)) {
                ReferenceCountUtil.release(request);
                LOG.warn("event=channel.refused reason=bad-token remote={} header={}",
                        ChannelServer.remote(ctx.channel()), authorization == null ? "absent" : "present");
                FullHttpResponse response = response(HttpResponseStatus.UNAUTHORIZED, "unauthorized\n");
                response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"gatehouse-channel\"");
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
                return;
            }
        }
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(request);
    }

    private boolean authorized(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return false;
        }
        byte[] offered = digest(authorization.substring(BEARER.length()).trim());
        return MessageDigest.isEqual(offered, tokenDigest);
    }

    private static void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
        ctx.writeAndFlush(response(status, body)).addListener(ChannelFutureListener.CLOSE);
    }

    private static FullHttpResponse response(HttpResponseStatus status, String body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN + "; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return response;
    }
}
