package dev.gatehouse.proxy.http1;

import io.netty.handler.codec.DecoderException;

/**
 * A target's response that {@link ResponseDecoder} refuses. The message names the rule broken
 * and its RFC section, never the received bytes (a head can carry credentials), so it can be
 * logged as it is. No stack trace: the decoder's state says all there is.
 */
public final class MalformedResponse extends DecoderException {
    private static final long serialVersionUID = 1L;

    MalformedResponse(String message) {
        super(message);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
