package dev.gatehouse.proxy.forward;

import dev.gatehouse.proxy.http.ErrorReply;
import dev.gatehouse.proxy.http.ForwardedFor;
import dev.gatehouse.proxy.http.HopByHop;
import dev.gatehouse.proxy.http.Http2RequestCheck;
import dev.gatehouse.proxy.http.ProxyHeaders;
import dev.gatehouse.proxy.http.RequestGate;
import dev.gatehouse.proxy.observe.EdgeMeters;
import dev.gatehouse.proxy.observe.RequestObserver;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.HttpConversionUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;

/**
 * One HTTP/2 stream, the {@link Downstream} of its one {@link Exchange}, driven by the
 * connection's frame listener ({@link Http2Streams}): the exchange sees the {@code HttpRequest}
 * and {@code HttpContent}s of an HTTP/1.1 request and writes its response to the stream's frames
 * ({@link Http2StreamResponse}). What differs from {@link ClientHandler}:
 *
 * <ul>
 * <li>Flow control is the backpressure. DATA the exchange did not ask for waits here, and the
 * client's window is returned only for the bytes the exchange took ({@link #onData},
 * {@link #read}): what waits is bounded by the stream's window, and a slow target slows the
 * client's DATA frames. The response is written while the stream is writable (its send window,
 * the connection's, and the socket's buffer).</li>
 * <li>No keep-alive: a stream is one request. A response complete before the request
 * (a refusal, 413, a target that answered early) is followed by {@code RST_STREAM NO_ERROR}
 * once written (RFC 9113 §8.1); a response cut short is a {@code RST_STREAM INTERNAL_ERROR};
 * a client's reset aborts only this exchange (its upstream connection is closed, never pooled).</li>
 * <li>The request passes {@link Http2RequestCheck} first (Host from {@code :authority}); its
 * head then carries version 2.0 for the access log ({@code protocol: HTTP/2}).</li>
 * </ul>
 */
final class Http2ServerStream extends Http2StreamResponse implements Downstream {
    private static final Logger LOG = LoggerFactory.getLogger(Http2ServerStream.class);
    /** The version an HTTP/2 stream's head carries once checked; upstream requests are always HTTP/1.1. */
    static final HttpVersion HTTP_2 = new HttpVersion("HTTP", 2, 0, true);

    private final Http2Streams streams;
    private Exchange current;
    /** Request body that arrived while the exchange did not ask for it; its bytes are not yet returned to the window. */
    private ArrayDeque<HttpContent> held;
    /** The exchange asked for more request body ({@link #read}); until its read ends. */
    private boolean readRequested;
    private boolean inReadBatch;
    private boolean delivering;
    private boolean closed;

    Http2ServerStream(Http2ClientConnection connection, Http2Streams streams, Http2Stream stream) {
        super(connection, stream, new Http2StreamIdle(connection.front().limits().idleTimeout().toNanos()));
        this.streams = streams;
    }

    @Override
    public ResponseSink response() {
        return this;
    }

    /** The HTTP/2 connection: its listener and local port are the request's. */
    @Override
    public Channel connection() {
        return connection.ctx().channel();
    }

    @Override
    public DataPlane plane() {
        return connection.front().plane();
    }

    @Override
    public UpstreamPool pool() {
        return connection.pool();
    }

    @Override
    public EdgeMeters edge() {
        return connection.front().edge();
    }

    @Override
    public RequestObserver observer() {
        return connection.front().observer();
    }

    @Override
    public ForwardedFor forwarded() {
        return connection.forwarded();
    }

    /**
     * The stream's HEADERS: its idle timeout counts from now; the head is converted, checked,
     * and becomes an exchange. A head Netty cannot convert is a stream error ({@code RST_STREAM
     * PROTOCOL_ERROR}, counted as malformed by {@link Http2FrameEvents}).
     */
    void onHead(Http2Headers headers, boolean endOfStream) throws Http2Exception {
        idle.start(this, connection.ctx().executor());
        HttpRequest req;
        try {
            req = HttpConversionUtil.toHttpRequest(stream.id(), headers, true);
        } catch (Http2Exception e) {
            throw Http2Exception.streamError(stream.id(), Http2Error.PROTOCOL_ERROR, e, "malformed request head");
        }
        if (!endOfStream && !HttpUtil.isContentLengthSet(req)) {
            // the body's end comes with the stream: to an HTTP/1.1 target it goes chunked
            req.headers().add(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        Http2RequestCheck.Refusal refusal = Http2RequestCheck.check(req, connection.front().limits());
        if (refusal != null) {
            refuse(req, refusal, endOfStream);
            return;
        }
        req.setProtocolVersion(HTTP_2);
        plane().requestStarted();
        current = new Exchange(this);
        current.start(req);
        if (endOfStream && current != null) {
            // HEADERS with END_STREAM: a head and an empty end, as the HTTP/1.1 decoder yields them;
            // the read's end flushes the end to the target (an attempt may already be under way)
            deliver(LastHttpContent.EMPTY_LAST_CONTENT);
        }
    }

    /** The head failed {@link Http2RequestCheck}: answered here, as the HTTP/1.1 gate answers, and never an exchange. */
    private void refuse(HttpRequest req, Http2RequestCheck.Refusal refusal, boolean complete) {
        closed = true;
        String requestId = req.headers().get(ProxyHeaders.X_REQUEST_ID);
        edge().count(refusal.reason());
        RequestGate.REQUEST_REFUSED.info("client={} status={} request_id={} protocol=HTTP/2 reason=\"{}\"",
                connection().remoteAddress(), refusal.status().code(), requestId, refusal.message());
        FullHttpResponse res = ErrorReply.forRequest(connection.ctx().alloc(), req, refusal.status(), refusal.message(), requestId,
                false);
        observer().refused(requestId, forwarded().peer(), refusal.status().code(), res.content().readableBytes());
        writeReply(res);
        flush();
        if (!complete) {
            resetWhenWritten(lastWrite());
        }
    }

    /** The client's trailers: the request's end. */
    void onTrailers(Http2Headers headers) throws Http2Exception {
        LastHttpContent last = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER, true);
        HttpConversionUtil.addHttp2ToHttpHeaders(stream.id(), headers, last.trailingHeaders(), HttpVersion.HTTP_1_1, true, true);
        take(last, 0);
    }

    /**
     * DATA for the stream.
     *
     * @return the bytes the exchange took or that are dropped (returned to the window now); 0 when
     * they wait for the exchange to ask, and are returned then
     */
    int onData(ByteBuf data, boolean endOfStream) {
        int n = data.readableBytes();
        if (closed || current == null) {
            return n;
        }
        if (n == 0 && !endOfStream) {
            return 0;
        }
        HttpContent c = endOfStream ? new DefaultLastHttpContent(data.retain(), false) : new DefaultHttpContent(data.retain());
        return take(c, n);
    }

    /** Passes {@code c} to the exchange when it asked for body and nothing waits before it, else holds it. */
    private int take(HttpContent c, int n) {
        idle.activity();
        if (closed || current == null) {
            c.release();
            return n;
        }
        if (readRequested && (held == null || held.isEmpty())) {
            deliver(c);
            return n;
        }
        if (held == null) {
            held = new ArrayDeque<>(4);
        }
        held.add(c);
        return 0;
    }

    private void deliver(HttpContent c) {
        if (!inReadBatch) {
            inReadBatch = true;
            streams.readIn(this);
        }
        current.onClientContent(c);
    }

    /**
     * The exchange asks for more request body: what waits is passed on now, its bytes returned
     * to the client's window, and the read ends; otherwise the next DATA frames go straight on.
     */
    @Override
    public void read() {
        if (closed) {
            return;
        }
        readRequested = true;
        if (delivering || held == null || held.isEmpty()) {
            return;
        }
        delivering = true;
        int bytes = 0;
        try {
            for (HttpContent c = held.poll(); c != null && current != null && !closed; c = held.poll()) {
                bytes += c.content().readableBytes();
                current.onClientContent(c);
            }
        } finally {
            delivering = false;
        }
        returnWindow(bytes);
        readComplete();
    }

    private void returnWindow(int bytes) {
        if (bytes <= 0 || stream.state() == Http2Stream.State.CLOSED) {
            return;
        }
        try {
            if (connection.connection().local().flowController().consumeBytes(stream, bytes)) {
                flush();
            }
        } catch (Http2Exception e) {
            connection.onError(connection.ctx(), false, e);
        }
    }

    /** The read that passed body on ended: the exchange flushes it to the target and asks for more while the target takes it. */
    void readComplete() {
        inReadBatch = false;
        readRequested = false;
        Exchange e = current;
        if (e != null && !closed) {
            e.onClientReadComplete();
        }
    }

    /** The flow controller says the stream takes response frames again. */
    void writable() {
        if (current != null) {
            current.onClientWritable();
        }
    }

    /** HTTP/2 frames the body itself: only hop-by-hop fields go (RFC 9113 §8.2.2), and {@code Via} is appended. */
    @Override
    public boolean rewriteHead(HttpRequest request, HttpResponse response, boolean bodyAllowed) {
        HopByHop.strip(response.headers());
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        UpstreamRequest.appendVia(response.headers());
        return false;
    }

    /** The stream (never the connection) is reset after the reply when the body is still coming or must not be read. */
    @Override
    public boolean closesAfterReply(boolean mustClose, boolean bodyPending) {
        return mustClose || bodyPending;
    }

    /** A gRPC call gets a trailers-only gRPC status, as on HTTP/1.1 ({@code GrpcReply}); never a Connection header. */
    @Override
    public FullHttpResponse reply(HttpRequest request, HttpResponseStatus status, String message, String requestId,
                                  boolean close) {
        return ErrorReply.forRequest(connection.ctx().alloc(), request, status, message, requestId, false);
    }

    /**
     * The exchange is over. With {@code close} and request body still coming, the stream is reset
     * with {@code NO_ERROR} once the response is written: the client stops sending (RFC 9113 §8.1).
     */
    @Override
    public void exchangeDone(Exchange e, boolean close) {
        if (current != e) {
            return;
        }
        current = null;
        plane().requestEnded();
        releaseHeld();
        if (close && !e.requestComplete()) {
            closed = true;
            resetWhenWritten(lastWrite());
        }
    }

    /** {@code RST_STREAM NO_ERROR} once {@code lastWrite} (the response's end) left; at once without one. */
    private void resetWhenWritten(ChannelFuture lastWrite) {
        if (lastWrite == null) {
            reset(Http2Error.NO_ERROR);
        } else {
            lastWrite.addListener(f -> reset(Http2Error.NO_ERROR));
        }
    }

    private void reset(Http2Error error) {
        if (stream.state() != Http2Stream.State.CLOSED) {
            connection.resetStream(connection.ctx(), stream.id(), error.code(), connection.ctx().newPromise());
            flush();
        }
    }

    /** The response cannot be completed: the client sees the stream reset, never a complete response. */
    @Override
    public void abort() {
        reset(Http2Error.INTERNAL_ERROR);
        closed();
    }

    /** The stream closed (reset by either side, or both sides done): an exchange still under way is aborted. */
    void closed() {
        closed = true;
        idle.stop();
        releaseHeld();
        Exchange e = current;
        if (e != null) {
            LOG.debug("event=http2.stream-closed client={} stream={} mid-request", connection().remoteAddress(), stream.id());
            current = null;
            plane().requestEnded();
            e.abort();
        }
    }

    private void releaseHeld() {
        if (held != null) {
            for (HttpContent c = held.poll(); c != null; c = held.poll()) {
                c.release();
            }
        }
    }

    /**
     * The stream was silent for the client idle timeout ({@link Http2StreamIdle}): reset
     * ({@code CANCEL}) when its client stalls the request body or does not take the response; a
     * stream waiting on its target is left to the target's timeouts.
     */
    void idle() {
        Exchange e = current;
        if (e != null && (!e.requestComplete() || e.waitingOnClient())) {
            edge().count(EdgeMeters.Reason.IDLE_TIMEOUT);
            LOG.debug("event=client.idle client={} protocol=HTTP/2 waiting_for={}", connection().remoteAddress(),
                    !e.requestComplete() ? "request-body" : "response-read");
            reset(Http2Error.CANCEL);
            closed();
        }
    }
}
