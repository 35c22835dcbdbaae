package dev.gatehouse.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.LastHttpContent;

import java.util.List;

/**
 * The HTTP/1.1 codec of a connection to a target: Netty's {@link HttpRequestEncoder} for the
 * request, {@link ResponseDecoder} for the response. The encoder tells the decoder each request's
 * method as it goes out, so the response to a {@code HEAD} is read without a body (what
 * {@code HttpClientCodec} does with its own queue). Removed from the pipeline (a WebSocket
 * tunnel), the decoder hands on the bytes it holds beyond the {@code 101}.
 */
public final class UpstreamCodec extends CombinedChannelDuplexHandler<ResponseDecoder, HttpRequestEncoder> {
    private final ResponseDecoder decoder;

    public UpstreamCodec() {
        decoder = new ResponseDecoder();
        init(decoder, new Encoder(decoder));
    }

    /**
     * True when the connection may carry another request: every request sent was answered and no
     * byte beyond those answers was received ({@link ResponseDecoder#atRest}). Asked when a
     * response's end is handed on, before the connection goes back to its pool.
     */
    public boolean atRest() {
        return decoder.atRest();
    }

    /** See {@link ResponseDecoder#headsReadAtOnce(boolean)}. */
    public void headsReadAtOnce(boolean atOnce) {
        decoder.headsReadAtOnce(atOnce);
    }

    private static final class Encoder extends HttpRequestEncoder {
        private final ResponseDecoder decoder;

        Encoder(ResponseDecoder decoder) {
            this.decoder = decoder;
        }

        @Override
        protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception {
            if (msg instanceof HttpRequest req) {
                decoder.requestSent(req.method());
            }
            super.encode(ctx, msg, out);
            if (msg instanceof ParsedRequest p && p.endsInHead()) {
                // the request's end right behind its head, as for a FullHttpRequest with no content:
                // the encoder adds nothing but an empty buffer for it (no chunked framing on a bodiless
                // request), which is dropped so the write stays one buffer
                int n = out.size();
                super.encode(ctx, LastHttpContent.EMPTY_LAST_CONTENT, out);
                if (out.size() == n + 1 && out.get(n) == Unpooled.EMPTY_BUFFER) {
                    out.remove(n);
                }
            }
        }

        /** A head the proxy decoded ({@link ParsedRequest}) is written as ranges of its received bytes plus the edits. */
        @Override
        protected void encodeHeaders(HttpHeaders headers, ByteBuf buf) {
            if (!(headers instanceof HeadFields fields) || !fields.writeTo(buf)) {
                super.encodeHeaders(headers, buf);
            }
        }
    }
}
