package dev.gatehouse.proxy.http1;

import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import static java.util.Objects.requireNonNull;

/**
 * A response head as {@link ResponseDecoder} read it off a target's connection: version, status,
 * and its fields as {@link HeadFields} (offsets into the head's bytes, turned into a map only for
 * a caller that needs one). Everything else in the proxy takes it as any Netty {@link HttpResponse}.
 */
public final class ParsedResponse implements HttpResponse {
    private HttpVersion version;
    private HttpResponseStatus status;
    private final HeadFields fields;
    private DecoderResult result = DecoderResult.SUCCESS;

    ParsedResponse(HttpVersion version, HttpResponseStatus status, HeadFields fields) {
        this.version = version;
        this.status = status;
        this.fields = fields;
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
    @Deprecated
    public HttpVersion getProtocolVersion() {
        return version;
    }

    @Override
    public HttpVersion protocolVersion() {
        return version;
    }

    @Override
    public ParsedResponse setProtocolVersion(HttpVersion version) {
        this.version = requireNonNull(version, "version");
        return this;
    }

    @Override
    public HeadFields headers() {
        return fields;
    }

    @Override
    @Deprecated
    public DecoderResult getDecoderResult() {
        return result;
    }

    @Override
    public DecoderResult decoderResult() {
        return result;
    }

    @Override
    public void setDecoderResult(DecoderResult result) {
        this.result = requireNonNull(result, "result");
    }

    /** Version and status only: the fields may carry credentials (Set-Cookie) and never go to a log. */
    @Override
    public String toString() {
        return "ParsedResponse(" + version + " " + status + ", " + fields.size() + " fields)";
    }
}
