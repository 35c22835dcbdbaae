package dev.gatehouse.proxy.http;

import dev.gatehouse.proxy.tls.ClientTls;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;

/**
 * A request head decoded on a TLS connection: carries the connection's {@link ClientTls} to
 * whoever sees the head (the access log), without a lookup per request.
 */
public final class TlsRequest extends DefaultHttpRequest {
    private final ClientTls tls;

    TlsRequest(HttpVersion version, HttpMethod method, String uri, HttpHeaders headers, ClientTls tls) {
        super(version, method, uri, headers);
        this.tls = tls;
    }

    public ClientTls tls() {
        return tls;
    }
}
