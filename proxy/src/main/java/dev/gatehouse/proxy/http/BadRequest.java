package dev.gatehouse.proxy.http;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * A request the {@link RequestGate} refused, passed down the pipeline in its place so it is
 * answered in order after the requests before it on the connection; the connection then closes.
 *
 * @param status    400, 405, 414, 431, 501 or 505
 * @param message   what is wrong and what was expected
 * @param requestId the request's id (the one of the request whose body was malformed, if any)
 */
public record BadRequest(HttpResponseStatus status, String message, String requestId) {
}
