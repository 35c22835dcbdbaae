package dev.gatehouse.proxy.forward;

import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Where an {@link Exchange} writes its response: the client's HTTP/1.1 connection
 * ({@link ClientHandler}, which writes the objects to its pipeline for the HTTP/1.1 encoder) or
 * one HTTP/2 stream ({@link Http2ServerStream}, which writes HEADERS and DATA frames for the
 * stream on its connection's encoder). The exchange says what the response is (a head, body,
 * trailers, its end); the sink says how that goes on the wire. Nothing is flushed until
 * {@link #flush}. Every method runs on the client's event loop.
 */
interface ResponseSink {
    /**
     * A response head: an interim one (1xx, followed by an empty {@code LastHttpContent} that ends
     * it, as the HTTP/1.1 decoder yields it) or the final one, whose body follows.
     */
    void writeHead(HttpResponse head);

    /**
     * A piece of the response body; a {@code LastHttpContent} ends the response (with its
     * trailers, when it has any). Takes ownership of {@code content}.
     */
    void writeContent(HttpContent content);

    /** The proxy's own answer, head and body in one; it ends the response. Takes ownership of {@code reply}. */
    void writeReply(FullHttpResponse reply);

    /** Sends what was written. */
    void flush();

    /**
     * Whether the client takes more of the response now: false while the connection's send
     * buffer is full (and, for HTTP/2, while the stream's or the connection's send window is
     * spent); the exchange then stops reading the target until {@link Exchange#onClientWritable}.
     */
    boolean isWritable();
}
