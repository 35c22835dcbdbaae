package dev.gatehouse.proxy.http;

/**
 * Who sent a request, as {@link ForwardedFor} decided it: the real client's address (the
 * connection's peer, or the right-most untrusted address of {@code X-Forwarded-For} when the
 * peer is a trusted proxy), the {@code X-Forwarded-For} value to send upstream, and whether the
 * peer is trusted (then its {@code X-Forwarded-Proto/-Host/-Port} and {@code Forwarded} stand).
 * The access log's {@code client}, the {@code ClientIP} hash key and {@code X-Forwarded-For} all
 * read this one object. Immutable; for a peer that is not trusted, one instance serves every
 * request of the connection.
 */
public final class ClientAddress {
    /** The address text when the peer has none (not an IP socket). */
    public static final String UNKNOWN = "unknown";

    private final String ip;
    private final int port;
    private final boolean known;
    private final long hi;
    private final long lo;
    private final String forwardedFor;
    private final String trustedPeer;

    ClientAddress(String ip, int port, boolean known, long hi, long lo, String forwardedFor, String trustedPeer) {
        this.ip = ip;
        this.port = port;
        this.known = known;
        this.hi = hi;
        this.lo = lo;
        this.forwardedFor = forwardedFor;
        this.trustedPeer = trustedPeer;
    }

    /** The client's address as text ({@code 203.0.113.7}, {@code 2001:db8::7}), or {@link #UNKNOWN}. */
    public String ip() {
        return ip;
    }

    /** The client's port when the client is the connection's peer; -1 when only an address is known. */
    public int port() {
        return port;
    }

    /** True when {@link #hi()} and {@link #lo()} hold the client's address. */
    public boolean known() {
        return known;
    }

    /** High 64 bits of the client's address ({@link IpAddress}). */
    public long hi() {
        return hi;
    }

    /** Low 64 bits of the client's address; for IPv4, {@code 0xffff} then the 32-bit address. */
    public long lo() {
        return lo;
    }

    public boolean isV4() {
        return known && IpAddress.isV4(hi, lo);
    }

    /** The {@code X-Forwarded-For} value the upstream request carries. */
    public String forwardedFor() {
        return forwardedFor;
    }

    /** True when the connection's peer is a trusted proxy: its forwarded headers are kept. */
    public boolean peerTrusted() {
        return trustedPeer != null;
    }

    /** The trusted proxy the request came through, {@code ip:port}; null when the peer is not trusted. */
    public String trustedPeer() {
        return trustedPeer;
    }

    /** {@code ip:port} when the port is known, else {@code ip}; the access log's {@code client}. */
    @Override
    public String toString() {
        if (port < 0) {
            return ip;
        }
        return ip.indexOf(':') >= 0 ? "[" + ip + "]:" + port : ip + ":" + port;
    }
}
