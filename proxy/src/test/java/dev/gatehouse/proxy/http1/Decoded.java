package dev.gatehouse.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a decoder made of a connection's bytes, as plain text a test compares: one line per
 * head (version, status, reason, every field in order), the body bytes, the trailers, and
 * whether the decoder refused something ({@link #refused}).
 */
record Decoded(List<String> events, boolean refused, String cause) {
    /** The decoder that replaced it: {@code UpstreamCodec}. */
    static Decoded ours(List<HttpMethod> methods, List<byte[]> reads) {
        return run(new UpstreamCodec(), methods, reads);
    }

    /**
     * {@code UpstreamCodec} parsing every head into the one it handed on before
     * ({@code ResponseDecoder#headsReadAtOnce}): each head is read to the end (turned into its
     * text) as it is handed on, before the next is decoded, as an HTTP/1.1 client's encoder does.
     */
    static Decoded oursKeptHeads(List<HttpMethod> methods, List<byte[]> reads) {
        UpstreamCodec codec = new UpstreamCodec();
        codec.headsReadAtOnce(true);
        return run(codec, methods, reads);
    }

    /** Netty's, configured as the proxy had it. */
    static Decoded netty(List<HttpMethod> methods, List<byte[]> reads) {
        return run(new HttpClientCodec(new HttpDecoderConfig().setMaxInitialLineLength(8192).setMaxHeaderSize(65536)
                .setMaxChunkSize(65536).setValidateHeaders(false), false, false), methods, reads);
    }

    private static Decoded run(ChannelHandler codec, List<HttpMethod> methods, List<byte[]> reads) {
        // each head becomes its text as it is handed on: a decoder may parse its next head into it
        EmbeddedChannel ch = new EmbeddedChannel(codec, new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ctx.fireChannelRead(msg instanceof HttpResponse res && !res.decoderResult().isFailure() ? new Head(text(res)) : msg);
            }
        });
        for (HttpMethod m : methods) {
            ch.writeOutbound(new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, m, "/", Unpooled.EMPTY_BUFFER));
        }
        for (Object o = ch.readOutbound(); o != null; o = ch.readOutbound()) {
            ReferenceCountUtil.release(o);
        }
        List<Object> out = new ArrayList<>();
        for (byte[] r : reads) {
            ch.writeInbound(Unpooled.wrappedBuffer(r));
            drain(ch, out);
        }
        ch.finish();
        drain(ch, out);
        List<String> events = new ArrayList<>();
        boolean refused = false;
        String cause = null;
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (Object o : out) {
            try {
                if (o instanceof HttpObject h && h.decoderResult().isFailure()) {
                    refused = true;
                    cause = String.valueOf(h.decoderResult().cause());
                    continue;
                }
                if (o instanceof Head h) {
                    events.add(h.text());
                }
                if (o instanceof HttpContent c) {
                    ByteBuf b = c.content();
                    byte[] bytes = new byte[b.readableBytes()];
                    b.getBytes(b.readerIndex(), bytes);
                    body.writeBytes(bytes);
                }
                if (o instanceof LastHttpContent last) {
                    events.add("BODY " + java.util.HexFormat.of().formatHex(body.toByteArray()));
                    body.reset();
                    StringBuilder t = new StringBuilder("TRAILERS");
                    for (Map.Entry<String, String> e : last.trailingHeaders()) {
                        t.append(" |").append(e.getKey()).append('=').append(e.getValue());
                    }
                    events.add(t.toString());
                }
                if (o instanceof ByteBuf raw) {
                    events.add("RAW " + raw.readableBytes());
                }
            } finally {
                ReferenceCountUtil.release(o);
            }
        }
        return new Decoded(events, refused, cause);
    }

    /** A response head as text, made when it was handed on. */
    private record Head(String text) {
    }

    private static String text(HttpResponse res) {
        StringBuilder s = new StringBuilder("HEAD ").append(res.protocolVersion()).append(' ')
                .append(res.status().code()).append(" [").append(res.status().reasonPhrase()).append(']');
        for (Map.Entry<String, String> e : res.headers()) {
            s.append(" |").append(e.getKey()).append('=').append(e.getValue());
        }
        return s.toString();
    }

    private static void drain(EmbeddedChannel ch, List<Object> out) {
        for (Object o = ch.readInbound(); o != null; o = ch.readInbound()) {
            out.add(o);
        }
    }
}
