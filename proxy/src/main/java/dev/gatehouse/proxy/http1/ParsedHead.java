package dev.gatehouse.proxy.http1;

import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpVersion;

import static java.util.Objects.requireNonNull;

/**
 * What a request head and a response head read by the proxy's decoders share: the version, the
 * fields as {@link HeadFields}, and the decoder's result. {@link ParsedRequest} and
 * {@link ParsedResponse} add their first line (as Netty's {@code DefaultHttpMessage} does for its
 * request and response).
 */
abstract class ParsedHead implements HttpMessage {
    private HttpVersion version;
    private final HeadFields fields;
    private DecoderResult result = DecoderResult.SUCCESS;

    ParsedHead(HttpVersion version, HeadFields fields) {
        this.version = version;
        this.fields = fields;
    }

    /** A connection's next head parsed into this one: its version, a successful result (its fields reset by the parser). */
    void reset(HttpVersion version) {
        this.version = version;
        this.result = DecoderResult.SUCCESS;
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
    public HttpMessage setProtocolVersion(HttpVersion version) {
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
}
