package dev.gatehouse.proxy.forward;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;

/**
 * The {@link ResponseSink} of an HTTP/1.1 client connection ({@link ClientHandler}): the
 * response's objects go as they are to the connection's pipeline, whose HTTP/1.1 encoder frames
 * them (Content-Length or chunked, trailers in the last chunk). One per connection.
 *
 * <p>Written on the void promise: nothing listens to a response write (the client idle timeout
 * counts flushes, {@link ClientIdle}), so no promise is made per write; a write that fails
 * reaches {@link ClientHandler#exceptionCaught}, which closes the connection.
 */
final class Http1Response implements ResponseSink {
    private final ChannelHandlerContext ctx;

    Http1Response(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void writeHead(HttpResponse head) {
        ctx.write(head, ctx.voidPromise());
    }

    @Override
    public void writeContent(HttpContent content) {
        ctx.write(content, ctx.voidPromise());
    }

    @Override
    public void writeReply(FullHttpResponse reply) {
        ctx.write(reply, ctx.voidPromise());
    }

    @Override
    public void flush() {
        ctx.flush();
    }

    @Override
    public boolean isWritable() {
        return ctx.channel().isWritable();
    }
}
