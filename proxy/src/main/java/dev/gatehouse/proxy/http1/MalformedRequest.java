package dev.gatehouse.proxy.http1;

import io.netty.handler.codec.DecoderException;

/**
 * A client's request head or body framing that the proxy's decoder refuses (400). The message
 * says what was expected and names the RFC rule, never the received bytes (a head can carry
 * keys), so the gate can answer and log it as it is. No stack trace: the decoder's state says
 * all there is.
 */
public final class MalformedRequest extends DecoderException {
    private static final long serialVersionUID = 1L;

    public MalformedRequest(String message) {
        super(message);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
