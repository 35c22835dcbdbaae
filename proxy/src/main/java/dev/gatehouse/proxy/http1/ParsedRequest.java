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
    private final boolean chunked;
    private final long contentLength;

    ParsedRequest(HttpMethod method, String uri, HttpVersion version, HeadFields fields, boolean chunked, long contentLength) {
        super(version, fields);
        this.method = method;
        this.uri = uri;
        this.chunked = chunked;
        this.contentLength = contentLength;
    }

    /** The body is chunked (RFC 9112 §7.1). */
    public boolean chunked() {
        return chunked;
    }

    /** The body's Content-Length, or -1 without one (chunked, or no body). */
    public long contentLength() {
        return contentLength;
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
