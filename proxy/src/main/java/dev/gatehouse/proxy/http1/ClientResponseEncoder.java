package dev.gatehouse.proxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseEncoder;

/**
 * The response encoder of an HTTP/1.1 client connection: Netty's, except that a target's head
 * still held as {@link HeadFields} (received fields as byte ranges, the proxy's edits as marks
 * and appended fields) is written by copying those ranges into the head's one buffer, where
 * Netty would walk a header map. Status line, framing state (chunked, bodiless), the body and
 * its chunking are Netty's: the bytes are the same as for a map holding the same fields.
 */
public final class ClientResponseEncoder extends HttpResponseEncoder {
    @Override
    protected void encodeHeaders(HttpHeaders headers, ByteBuf buf) {
        if (!(headers instanceof HeadFields fields) || !fields.writeTo(buf)) {
            super.encodeHeaders(headers, buf);
        }
    }
}
