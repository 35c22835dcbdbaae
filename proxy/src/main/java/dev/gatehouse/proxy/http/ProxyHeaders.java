package dev.gatehouse.proxy.http;

import io.netty.util.AsciiString;

/**
 * Header names and values the proxy writes, as {@link AsciiString} constants so encoding them is
 * a bulk copy. Netty's {@code HttpHeaderNames} covers the standard ones.
 */
public final class ProxyHeaders {
    public static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
    public static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    public static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    public static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    public static final AsciiString X_FORWARDED_PORT = AsciiString.cached("x-forwarded-port");
    /** RFC 7239; passed on from a trusted proxy, removed otherwise. */
    public static final AsciiString FORWARDED = AsciiString.cached("forwarded");
    public static final AsciiString X_CONSUMER_ID = AsciiString.cached("x-consumer-id");
    public static final AsciiString X_CONSUMER_CUSTOM_ID = AsciiString.cached("x-consumer-custom-id");
    public static final AsciiString X_CONSUMER_USERNAME = AsciiString.cached("x-consumer-username");
    public static final AsciiString X_CREDENTIAL_IDENTIFIER = AsciiString.cached("x-credential-identifier");
    public static final AsciiString X_ANONYMOUS_CONSUMER = AsciiString.cached("x-anonymous-consumer");
    public static final AsciiString X_UPSTREAM_LATENCY = AsciiString.cached("x-gatehouse-upstream-latency");
    public static final AsciiString X_PROXY_LATENCY = AsciiString.cached("x-gatehouse-proxy-latency");
    public static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");

    public static final AsciiString VIA_VALUE = AsciiString.cached("1.1 gatehouse");
    public static final AsciiString HTTP = AsciiString.cached("http");
    public static final AsciiString HTTPS = AsciiString.cached("https");
    public static final AsciiString TRUE = AsciiString.cached("true");
    public static final AsciiString KEY_REALM = AsciiString.cached("Key realm=\"gatehouse\"");

    private ProxyHeaders() {
    }
}
