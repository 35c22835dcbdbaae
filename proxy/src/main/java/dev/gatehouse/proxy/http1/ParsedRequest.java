package dev.gatehouse.proxy.http1;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;

import static java.util.Objects.requireNonNull;

/**
 * A client's request head as the proxy's decoder read it: method, target, version, and its fields
 * as {@link HeadFields} (offsets into one copy of the head's bytes; the proxy's edits are marks
 * and appended fields, written upstream by copying ranges). Everything else in the proxy takes it
 * as any Netty {@link HttpRequest}. {@link #chunked()} and {@link #contentLength()} are the body
 * framing the decoder read the body with, whatever the fields say after the proxy's edits.
 */
public final class ParsedRequest extends ParsedHead implements HttpRequest {
    private HttpMethod method;
    private String uri;
    private boolean chunked;
    private long contentLength;
    /** The request's {@code X-Request-Id} as the gate settled it; null before the gate ran. */
    private String requestId;
    /** The Host value the gate checked (a view over the head's bytes); null when none or before the gate ran. */
    private CharSequence host;
    /** The head goes to an HTTP/1.1 target with its (empty) end: see {@link #endInHead(boolean)}. */
    private boolean endInHead;
    /** The connection's heads this one goes back to on {@link #release}; null when none, or once released. */
    private RequestHeads home;

    ParsedRequest(HttpMethod method, String uri, HttpVersion version, HeadFields fields, boolean chunked, long contentLength) {
        super(version, fields);
        this.method = method;
        this.uri = uri;
        this.chunked = chunked;
        this.contentLength = contentLength;
    }

    /** The connection's next head, parsed into this one ({@link RequestHeads}): every field afresh. */
    void reset(HttpMethod method, String uri, HttpVersion version, boolean chunked, long contentLength) {
        reset(version);
        this.method = method;
        this.uri = uri;
        this.chunked = chunked;
        this.contentLength = contentLength;
        this.requestId = null;
        this.host = null;
        this.endInHead = false;
    }

    /** This head came from {@code heads}, to which {@link #release} gives it back. */
    void takenFrom(RequestHeads heads) {
        this.home = heads;
    }

    /**
     * Nothing reads this head any more (its exchange finished: response written, access-log line
     * formatted, no attempt left): the connection may parse a later head into it. Once only; a
     * head that came from no connection's {@link RequestHeads} ignores it.
     */
    public void release() {
        RequestHeads h = home;
        if (h != null) {
            home = null;
            h.release(this);
        }
    }

    /** The body is chunked (RFC 9112 §7.1). */
    public boolean chunked() {
        return chunked;
    }

    /** The body's Content-Length, or -1 without one (chunked, or no body). */
    public long contentLength() {
        return contentLength;
    }

    /**
     * The {@code X-Request-Id} the gate settled for this request (the client's when acceptable,
     * else a new one) and wrote into its head once: the exchange, the response head and the access
     * log take it from here rather than reading the field back. Null before the gate ran.
     */
    public String requestId() {
        return requestId;
    }

    /** Called by the gate, which also writes the id into the head's fields. */
    public void requestId(String id) {
        this.requestId = requireNonNull(id, "id");
    }

    /**
     * The one Host value the gate found and checked, as a view over the head's bytes (no copy):
     * what the request's routing reads instead of looking the field up again. Null when the
     * request has none, or before the gate ran.
     */
    public CharSequence host() {
        return host;
    }

    /** Called by the gate once it checked the request's one Host value. */
    public void host(CharSequence checked) {
        this.host = checked;
    }

    /**
     * Whether this head, written to an HTTP/1.1 target's connection, also ends the request (a
     * bodiless one): its encoder ({@link UpstreamCodec}) then writes the head and the request's
     * end as one buffer, the same bytes as for a {@code FullHttpRequest} over these fields with
     * no content, without making one per request. Set for each attempt before its head is
     * written, and read by the encoder within that write.
     */
    public void endInHead(boolean end) {
        this.endInHead = end;
    }

    /** See {@link #endInHead(boolean)}. */
    public boolean endsInHead() {
        return endInHead;
    }

    @Override
    @Deprecated
    public HttpMethod getMethod() {
        return method;
    }

    @Override
    public HttpMethod method() {
        return method;
    }

    @Override
    public ParsedRequest setMethod(HttpMethod method) {
        this.method = requireNonNull(method, "method");
        return this;
    }

    @Override
    @Deprecated
    public String getUri() {
        return uri;
    }

    @Override
    public String uri() {
        return uri;
    }

    @Override
    public ParsedRequest setUri(String uri) {
        this.uri = requireNonNull(uri, "uri");
        return this;
    }

    @Override
    public ParsedRequest setProtocolVersion(HttpVersion version) {
        super.setProtocolVersion(version);
        return this;
    }

    /** Method and version only: the target and the fields may carry credentials (a key in the query, Authorization). */
    @Override
    public String toString() {
        return "ParsedRequest(" + method + " " + protocolVersion() + ", " + headers().size() + " fields)";
    }
}
