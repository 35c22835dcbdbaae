package dev.gatehouse.proxy.forward;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.HttpConversionUtil;

/**
 * Between an upstream HTTP/2 stream's frame codec and its {@link UpstreamHandler}: makes the
 * stream look like an HTTP/1.1 connection to the attempt, so the exchange needs no HTTP/2 case.
 *
 * <ul>
 *   <li>request: {@code te: trailers} is sent (the only TE value HTTP/2 allows, RFC 9113
 *       §8.2.2; gRPC servers expect it): the proxy takes trailers from targets and relays them;</li>
 *   <li>response: a head that ends the stream (a gRPC "trailers-only" answer, a 100) becomes a
 *       head then a last content, and any other 1xx head is followed by an empty last content,
 *       as the HTTP/1.1 decoder delivers them; the codec's {@code x-http2-stream-id} is removed;</li>
 *   <li>a GOAWAY whose last-stream-id is below this stream, or RST_STREAM(REFUSED_STREAM): the
 *       target did not process the request (RFC 9113 §8.7), so the attempt counts as not sent
 *       ({@link UpstreamAttempt#notProcessed}); the stream then closes and the exchange retries
 *       under its usual rule.</li>
 * </ul>
 */
@ChannelHandler.Sharable
final class Http2StreamAdapter extends ChannelDuplexHandler {
    static final Http2StreamAdapter INSTANCE = new Http2StreamAdapter();
    private static final CharSequence STREAM_ID = HttpConversionUtil.ExtensionHeaderNames.STREAM_ID.text();

    private Http2StreamAdapter() {
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof HttpRequest req) {
            req.headers().set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
        }
        ctx.write(msg, promise);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof HttpResponse res)) {
            ctx.fireChannelRead(msg);
            return;
        }
        res.headers().remove(STREAM_ID);
        if (res instanceof FullHttpResponse full) {
            ctx.fireChannelRead(new DefaultHttpResponse(full.protocolVersion(), full.status(), full.headers()));
            ctx.fireChannelRead(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
        } else {
            ctx.fireChannelRead(res);
            if (res.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
                ctx.fireChannelRead(LastHttpContent.EMPTY_LAST_CONTENT);
            }
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof Http2GoAwayFrame goAway) {
            // fired only to the streams above its last-stream-id (Http2MultiplexHandler)
            goAway.release();
            notProcessed(ctx);
            return;
        }
        if (evt instanceof Http2ResetFrame reset && reset.errorCode() == Http2Error.REFUSED_STREAM.code()) {
            notProcessed(ctx);
        }
        ctx.fireUserEventTriggered(evt);
    }

    private static void notProcessed(ChannelHandlerContext ctx) {
        UpstreamHandler h = ctx.pipeline().get(UpstreamHandler.class);
        UpstreamAttempt a = h == null ? null : h.attempt();
        if (a != null) {
            a.notProcessed();
        }
    }
}
