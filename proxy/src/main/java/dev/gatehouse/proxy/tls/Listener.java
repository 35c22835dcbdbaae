package dev.gatehouse.proxy.tls;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;

/**
 * Which of the proxy's ports a client connection came in on, held by the listening channel (one
 * attribute read per request, no lookup): whether it is the TLS port ({@code X-Forwarded-Proto:
 * https}; never redirected), and for the cleartext port where {@code httpsRedirect} sends clients.
 */
public final class Listener {
    public static final AttributeKey<Listener> KEY = AttributeKey.valueOf(Listener.class, "listener");
    /** What a connection without a known listener is taken for (tests on an {@code EmbeddedChannel}). */
    static final Listener UNKNOWN = cleartext(0);

    private final boolean tls;
    private volatile int httpsPort;

    private Listener(boolean tls, int httpsPort) {
        this.tls = tls;
        this.httpsPort = httpsPort;
    }

    /** The cleartext port; {@code httpsPort} 0 until the TLS port is known (then redirects go to 443). */
    public static Listener cleartext(int httpsPort) {
        return new Listener(false, httpsPort);
    }

    public static Listener tls() {
        return new Listener(true, 0);
    }

    /** The listener of {@code client}'s server channel. */
    public static Listener of(Channel client) {
        Channel server = client.parent();
        Listener l = server == null ? null : server.attr(KEY).get();
        return l == null ? UNKNOWN : l;
    }

    public boolean isTls() {
        return tls;
    }

    /** The port {@code httpsRedirect} points to; 0 or 443 leave it out of the {@code Location}. */
    public int httpsPort() {
        return httpsPort;
    }

    /** Set when the TLS port is bound, unless a redirect port was configured. */
    public void httpsPort(int port) {
        httpsPort = port;
    }
}
