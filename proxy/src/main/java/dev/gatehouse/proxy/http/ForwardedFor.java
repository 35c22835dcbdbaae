package dev.gatehouse.proxy.http;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.FastThreadLocal;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;

/**
 * The client-address rule, written once (docs/proxy.md, "Client address and X-Forwarded-*"); one
 * per client connection, since the peer and whether it is trusted are fixed at accept.
 *
 * <ul>
 *   <li><b>Peer not trusted</b> (the default: {@link TrustedProxies#NONE}): the peer is the
 *       client. {@code X-Forwarded-For} upstream is exactly the peer's address, whatever the
 *       client sent; the caller drops the client's {@code X-Forwarded-Proto/-Host/-Port} and
 *       {@code Forwarded} and sets its own. No work and no allocation per request.</li>
 *   <li><b>Peer trusted</b>: the peer's address is appended to the {@code X-Forwarded-For} it
 *       sent (all its field lines, in order, joined as RFC 9110 §5.3 says), and the client is
 *       the right-most address of that list, read right to left, that is not trusted (nginx
 *       {@code real_ip_recursive on}); when every address is trusted, the left-most. An element
 *       that is not an address ({@code unknown}, garbage) stops the walk: the last address read
 *       stands. Elements may carry a port ({@code 203.0.113.7:51544}, {@code [2001:db8::7]:443}),
 *       which is dropped. The peer's {@code X-Forwarded-Proto/-Host/-Port} and
 *       {@code Forwarded} are kept.</li>
 * </ul>
 * Only {@code X-Forwarded-For} is read for the client; {@code Forwarded} (RFC 7239) is passed on
 * from a trusted peer but not interpreted. Not thread-safe: used on the connection's event loop.
 */
public final class ForwardedFor {
    private final TrustedProxies trusted;
    private final boolean peerTrusted;
    private final String peerIp;
    private final String peerText;
    private final long peerHi;
    private final long peerLo;
    /** The peer as the client: every request's answer when the peer is not trusted. */
    private final ClientAddress direct;
    private final long[] scratch = new long[2];
    /** Bounds of the address in the element last parsed by {@link #element}. */
    private int addressFrom;
    private int addressTo;

    private ForwardedFor(TrustedProxies trusted, SocketAddress peer) {
        this.trusted = trusted;
        if (peer instanceof InetSocketAddress a && a.getAddress() != null) {
            IpAddress.of(a.getAddress(), scratch);
            peerHi = scratch[0];
            peerLo = scratch[1];
            peerIp = LastPeer.text(a.getAddress(), peerHi, peerLo);
            peerTrusted = trusted.contains(peerHi, peerLo);
            // the peer with its port is only ever written for a trusted peer (resolve, the direct answer's
            // forwarding text): not made for every connection of an untrusted one
            peerText = !peerTrusted ? null
                    : peerIp.indexOf(':') >= 0 ? "[" + peerIp + "]:" + a.getPort() : peerIp + ":" + a.getPort();
            direct = new ClientAddress(peerIp, a.getPort(), true, peerHi, peerLo, peerIp, peerText);
        } else {
            peerHi = 0;
            peerLo = 0;
            peerIp = ClientAddress.UNKNOWN;
            peerTrusted = false;
            peerText = null;
            direct = new ClientAddress(peerIp, -1, false, 0, 0, peerIp, null);
        }
    }

    /**
     * The last peer address written as text on this thread (an event loop), and its text: the
     * connections of one address (a load balancer's, a node's, a client's burst) share the string,
     * where each formatted its own. The text is a function of the address's 16 bytes
     * ({@link IpAddress#of}: an IPv4 address as its IPv4-mapped form), so those are the key.
     */
    private static final class LastPeer {
        private static final FastThreadLocal<LastPeer> LAST = new FastThreadLocal<>() {
            @Override
            protected LastPeer initialValue() {
                return new LastPeer();
            }
        };
        private long hi;
        private long lo;
        private String text;

        static String text(InetAddress address, long hi, long lo) {
            LastPeer last = LAST.get();
            if (last.text == null || last.hi != hi || last.lo != lo) {
                last.text = NetUtil.toAddressString(address);
                last.hi = hi;
                last.lo = lo;
            }
            return last.text;
        }
    }

    /** The rule for one connection from {@code peer} (its remote address). */
    public static ForwardedFor of(TrustedProxies trusted, SocketAddress peer) {
        return new ForwardedFor(trusted, peer);
    }

    /** True when the connection's peer is a trusted proxy. */
    public boolean peerTrusted() {
        return peerTrusted;
    }

    /** The peer as the client; what a request refused before its head was read is logged with. */
    public ClientAddress peer() {
        return direct;
    }

    /** The client of a request with headers {@code h} as the client sent them (before any rewrite). */
    public ClientAddress resolve(HttpHeaders h) {
        if (!peerTrusted) {
            return direct;
        }
        List<String> values = h.getAll(ProxyHeaders.X_FORWARDED_FOR);
        if (values.isEmpty()) {
            return direct;
        }
        String clientValue = null;
        int clientFrom = 0;
        int clientTo = 0;
        long hi = peerHi;
        long lo = peerLo;
        walk:
        for (int v = values.size() - 1; v >= 0; v--) {
            String s = values.get(v);
            int end = s.length();
            while (end > 0) {
                int comma = s.lastIndexOf(',', end - 1);
                int from = comma + 1;
                int to = end;
                end = Math.max(comma, 0);
                while (from < to && isSpace(s.charAt(from))) {
                    from++;
                }
                while (to > from && isSpace(s.charAt(to - 1))) {
                    to--;
                }
                if (from == to) {
                    continue; // an empty list element (RFC 9110 §5.6.1: ignored)
                }
                if (!element(s, from, to)) {
                    break walk;
                }
                clientValue = s;
                clientFrom = addressFrom;
                clientTo = addressTo;
                hi = scratch[0];
                lo = scratch[1];
                if (!trusted.contains(hi, lo)) {
                    break walk;
                }
            }
        }
        String forwarded = String.join(", ", values) + ", " + peerIp;
        if (clientValue == null) {
            return new ClientAddress(peerIp, direct.port(), true, peerHi, peerLo, forwarded, peerText);
        }
        return new ClientAddress(clientValue.substring(clientFrom, clientTo), -1, true, hi, lo, forwarded, peerText);
    }

    /**
     * Parses one element of the list, {@code s[from, to)}: an address, {@code a.b.c.d:port},
     * {@code [v6]} or {@code [v6]:port}, into {@link #scratch} and the address bounds.
     */
    private boolean element(String s, int from, int to) {
        int addrFrom = from;
        int addrTo = to;
        if (s.charAt(from) == '[') {
            int close = s.indexOf(']', from);
            if (close < 0 || close >= to || (close + 1 < to && !port(s, close + 1, to))) {
                return false;
            }
            addrFrom = from + 1;
            addrTo = close;
        } else {
            int colon = indexOf(s, ':', from, to);
            if (colon >= 0 && indexOf(s, ':', colon + 1, to) < 0) {
                // one colon: IPv4 with a port (an IPv6 address has at least two)
                if (!port(s, colon, to)) {
                    return false;
                }
                addrTo = colon;
            }
        }
        if (!IpAddress.parse(s, addrFrom, addrTo, scratch)) {
            return false;
        }
        addressFrom = addrFrom;
        addressTo = addrTo;
        return true;
    }

    /** {@code s[at, to)} is {@code :} and 1 to 5 digits. */
    private static boolean port(String s, int at, int to) {
        if (s.charAt(at) != ':' || to - at < 2 || to - at > 6) {
            return false;
        }
        for (int i = at + 1; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(String s, char c, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t';
    }
}
