package dev.gatehouse.proxy.forward;

import io.netty.channel.Channel;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;

import java.util.concurrent.TimeUnit;

/**
 * How the drain closes a quiet client connection: an orderly end the client can tell from a
 * crash. On a TLS connection {@code close_notify} goes first (RFC 8446 §6.1): without it a
 * client sees the TCP end as a truncation. Then the FIN (a pooled client sees the connection end
 * and drops it); everything that still arrives is read and dropped until the client closes its
 * side or {@code lingerMillis} pass, then the connection closes. Closing a socket with unread
 * bytes in it would send RST, which a client takes as an error; an end of stream it takes as
 * "the server closed an idle connection" (RFC 9112 §9.3.1).
 */
public final class HalfClose {
    private HalfClose() {
    }

    /** Starts closing {@code ch}; call on its event loop. The caller's handler drops what is read from now on. */
    public static void start(Channel ch, long lingerMillis) {
        ch.config().setAutoRead(true);
        if (!(ch instanceof DuplexChannel duplex)) {
            ch.close();
            return;
        }
        SslHandler tls = ch.pipeline().get(SslHandler.class);
        if (tls == null) {
            finOnly(duplex, lingerMillis);
        } else {
            // the FIN waits for close_notify to be written: shut down earlier, the alert would never leave
            tls.closeOutbound().addListener(f -> finOnly(duplex, lingerMillis));
        }
    }

    private static void finOnly(DuplexChannel ch, long lingerMillis) {
        ch.shutdownOutput();
        ch.eventLoop().schedule(() -> {
            ch.close();
        }, lingerMillis, TimeUnit.MILLISECONDS);
    }
}
