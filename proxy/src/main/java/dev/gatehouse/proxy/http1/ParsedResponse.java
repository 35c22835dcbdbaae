package dev.gatehouse.proxy.http1;

import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import static java.util.Objects.requireNonNull;

/**
 * A response head as {@link ResponseDecoder} read it off a target's connection: version, status,
 * and its fields as {@link HeadFields} (offsets into the head's bytes, turned into a map only for
 * a caller that needs one). Everything else in the proxy takes it as any Netty {@link HttpResponse}.
 */
public final class ParsedResponse extends ParsedHead implements HttpResponse {
    private HttpResponseStatus status;

    ParsedResponse(HttpVersion version, HttpResponseStatus status, HeadFields fields) {
        super(version, fields);
        this.status = status;
    }

    /** The connection's next response head, parsed into this one ({@link ResponseDecoder}). */
    void reset(HttpVersion version, HttpResponseStatus status) {
        reset(version);
        this.status = status;
    }

    @Override
    @Deprecated
    public HttpResponseStatus getStatus() {
        return status;
    }

    @Override
    public HttpResponseStatus status() {
        return status;
    }

    @Override
    public ParsedResponse setStatus(HttpResponseStatus status) {
        this.status = requireNonNull(status, "status");
        return this;
    }

    @Override
    public ParsedResponse setProtocolVersion(HttpVersion version) {
        super.setProtocolVersion(version);
        return this;
    }

    /** Version and status only: the fields may carry credentials (Set-Cookie) and never go to a log. */
    @Override
    public String toString() {
        return "ParsedResponse(" + protocolVersion() + " " + status + ", " + headers().size() + " fields)";
    }
}
