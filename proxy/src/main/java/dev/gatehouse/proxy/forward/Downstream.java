package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.http.ErrorReply;
import dev.gatehouse.proxy.http.ForwardedFor;
import dev.gatehouse.proxy.observe.EdgeMeters;
import dev.gatehouse.proxy.observe.RequestObserver;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * The client's side of one {@link Exchange}: what differs between a request that came on an
 * HTTP/1.1 connection ({@link ClientHandler}) and one that came as an HTTP/2 stream. Both speak
 * Netty's {@code HttpObject}s to the exchange ({@code HttpRequest}, {@code HttpContent},
 * {@code LastHttpContent} with trailers), so routing, key-auth, attempts, retries and the relay
 * are written once, in the exchange; what is left here is framing and connection management:
 * keep-alive, how a response is cut short, how more request body is asked for.
 *
 * The response goes to its {@link #response() sink}.
 *
 * <p>Every method runs on the event loop of {@link #connection()}, which is also the loop of the
 * exchange's upstream connections.
 */
interface Downstream {
    /**
     * The client's connection (for HTTP/2, the connection the stream belongs to): what the
     * request came in on, its local port ({@code X-Forwarded-Port}) and its listener.
     */
    Channel connection();

    /** Where the exchange writes its response. */
    ResponseSink response();

    DataPlane plane();

    UpstreamPool pool();

    EdgeMeters edge();

    RequestObserver observer();

    /** The client-address rule of the client's connection. */
    ForwardedFor forwarded();

    /**
     * True when the request head alone says whether a body follows (HTTP/1.1: without a
     * Content-Length above 0 and without chunked encoding there is none); false when the body's
     * end comes with the stream whatever the head says (HTTP/2).
     */
    default boolean headFramesBody() {
        return false;
    }

    /**
     * True when {@link ResponseSink#writeHead} reads the head to the end within the call (HTTP/1.1:
     * the connection's encoder writes it to bytes there), so nothing reads it afterwards and the
     * target's connection may parse its next head into the same objects
     * ({@code ResponseDecoder#headsReadAtOnce}); false when a head may be read later (HTTP/2: a
     * HEADERS frame queued behind data is encoded over views of the head's bytes).
     */
    default boolean readsHeadAtOnce() {
        return false;
    }

    /**
     * Whether the client takes the response's trailers (gRPC's {@code grpc-status} among them): an
     * HTTP/1.1 client only when its request said {@code TE: trailers} (RFC 9110 §10.1.4), they are
     * dropped otherwise; HTTP/2 always carries them.
     */
    default boolean acceptsTrailers() {
        return true;
    }

    /** Asks for more of the request body (backpressure: nothing is read until asked). */
    void read();

    /**
     * Rewrites the target's response head for this client (hop-by-hop fields, framing).
     *
     * @param bodyAllowed false for a response to HEAD, a 204 or a 304
     * @return true when the client's connection must end after this response
     */
    boolean rewriteHead(HttpRequest request, HttpResponse response, boolean bodyAllowed);

    /**
     * The proxy's own answer to {@code request}: {@link ErrorReply#forRequest}, which answers a gRPC
     * call with a gRPC status and anything else with the JSON body.
     *
     * @param close what {@link #closesAfterReply} decided for it
     */
    FullHttpResponse reply(HttpRequest request, HttpResponseStatus status, String message, String requestId, boolean close);

    /**
     * Whether the client's connection (HTTP/1.1) or stream (HTTP/2) ends after the proxy's own
     * answer; asked once, before {@link #reply}.
     *
     * @param mustClose   the connection must end after it (a refused body, a malformed one)
     * @param bodyPending the client has not sent all of its request body
     */
    boolean closesAfterReply(boolean mustClose, boolean bodyPending);

    /** The exchange's response is written and its request fully received, or the connection must close. */
    void exchangeDone(Exchange exchange, boolean close);

    /**
     * True when {@link #exchangeDone} with {@code close} flushes what is left of the response itself,
     * with the close: the exchange then leaves its last flush to it.
     */
    default boolean flushesWithClose() {
        return false;
    }

    /** The response cannot be completed: the client must see it cut short, never taken as complete. */
    void abort();
}
