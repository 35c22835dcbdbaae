package dev.gatehouse.proxy.http;

import io.netty.handler.codec.DefaultHeaders;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.util.AsciiString;

import static java.util.Objects.requireNonNull;

/**
 * The header-name check of a client request's headers: Netty's strict one for every name, except
 * the proxy's own constant names, recognised by identity. The proxy sets those on every request it
 * forwards ({@code X-Forwarded-*}, {@code Via}, {@code Host}, {@code X-Request-Id}, the consumer
 * headers); they are valid tokens by construction, and checking them again byte by byte on every
 * request was 2–6 % of the proxy's CPU samples. A name the client sent is always a new
 * {@code AsciiString} made by the decoder, never one of these instances, so it is always checked
 * ({@code OwnHeaderNamesTest}).
 */
final class OwnHeaderNames {
    /** The names the proxy itself sets on a client's request headers. */
    static final AsciiString[] NAMES = {
            HttpHeaderNames.HOST, HttpHeaderNames.CONTENT_LENGTH, HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.VIA,
            ProxyHeaders.X_REQUEST_ID, ProxyHeaders.X_FORWARDED_FOR, ProxyHeaders.X_FORWARDED_PROTO,
            ProxyHeaders.X_FORWARDED_HOST, ProxyHeaders.X_FORWARDED_PORT, ProxyHeaders.X_CONSUMER_ID,
            ProxyHeaders.X_CONSUMER_CUSTOM_ID, ProxyHeaders.X_CONSUMER_USERNAME, ProxyHeaders.X_CREDENTIAL_IDENTIFIER,
            ProxyHeaders.X_ANONYMOUS_CONSUMER};

    private OwnHeaderNames() {
    }

    /** {@code strict}, skipped for the instances of {@link #NAMES}. */
    static DefaultHeaders.NameValidator<CharSequence> validator(DefaultHeaders.NameValidator<CharSequence> strict) {
        requireNonNull(strict, "strict");
        return name -> {
            if (!isOwn(name)) {
                strict.validateName(name);
            }
        };
    }

    static boolean isOwn(CharSequence name) {
        for (AsciiString own : NAMES) {
            if (own == name) {
                return true;
            }
        }
        return false;
    }
}
