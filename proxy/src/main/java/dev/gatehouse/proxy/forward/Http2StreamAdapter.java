package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.http.GrpcReply;
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
import io.netty.util.AsciiString;

/**
 * Between an upstream HTTP/2 stream's frame codec and its {@link UpstreamHandler}: makes the
 * stream look like an HTTP/1.1 connection to the attempt, so the exchange needs no HTTP/2 case.
 *
 * <ul>
 *   <li>request: {@code te: trailers} is sent (the only TE value HTTP/2 allows, RFC 9113
 *       §8.2.2; gRPC servers expect it): the proxy takes trailers from targets and relays them;</li>
 *   <li>response: a head that ends the stream (a 100, a bodiless answer) becomes a head then a
 *       last content, and any other 1xx head is followed by an empty last content, as the
 *       HTTP/1.1 decoder delivers them; the codec's {@code x-http2-stream-id} is removed;</li>
 *   <li>a gRPC "trailers-only" answer (one HEADERS frame carrying {@code grpc-status}, as servers
 *       send for an immediate error) becomes a head and trailers: {@code grpc-status},
 *       {@code grpc-message} and {@code grpc-status-details-bin} move, unchanged, to the last
 *       content's trailers. The exchange relays a head then the rest, so an HTTP/2 client would
 *       otherwise get the status in headers that do not end the stream, which gRPC clients refuse;
 *       as trailers it is a plain gRPC response with no message, on HTTP/2 and on HTTP/1.1
 *       ({@code TE: trailers}) alike;</li>
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
    private static final CharSequence[] GRPC_TRAILERS = {GrpcReply.GRPC_STATUS, GrpcReply.GRPC_MESSAGE,
            AsciiString.cached("grpc-status-details-bin")};

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
            LastHttpContent last = new DefaultLastHttpContent(full.content(), full.trailingHeaders());
            if (GrpcReply.isGrpc(full.headers()) && full.headers().contains(GrpcReply.GRPC_STATUS)) {
                for (CharSequence name : GRPC_TRAILERS) {
                    String value = full.headers().get(name);
                    if (value != null) {
                        last.trailingHeaders().set(name, value);
                        full.headers().remove(name);
                    }
                }
            }
            ctx.fireChannelRead(new DefaultHttpResponse(full.protocolVersion(), full.status(), full.headers()));
            ctx.fireChannelRead(last);
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
