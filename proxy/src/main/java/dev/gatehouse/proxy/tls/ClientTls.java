package dev.gatehouse.proxy.tls;

/**
 * What a finished handshake tells about a client connection: for the access log ({@code tls_version},
 * {@code sni}), and whether a request on it is for a host this connection may serve
 * ({@link #misdirected}). One per connection, made when its handshake completes, and used on the
 * connection's event loop only (its HTTP/2 streams share that loop).
 */
public final class ClientTls {
    /**
     * The connection's handshake, kept on its channel once it is done, for the handlers that ALPN
     * adds after the handshake (the HTTP/1 decoder then, HTTP/2 streams for the access log).
     */
    public static final io.netty.util.AttributeKey<ClientTls> KEY = io.netty.util.AttributeKey.valueOf(ClientTls.class, "tls");

    private final String protocol;
    private final String sni;
    private final ServerCertificates certificates;
    /**
     * The last host that took the slow path of {@link #misdirected} and its answer, with the
     * certificates it was checked against: a client's requests on one connection nearly always
     * carry the same Host, so only the first pays for the name's lookups (and a certificate change
     * is seen, as the table is a new one).
     */
    private String checkedHost;
    private CertificateTable checkedTable;
    private boolean checkedMisdirected;

    /**
     * @param protocol     the negotiated version, e.g. {@code TLSv1.3}
     * @param sni          the server name the client asked for, lower case; null when it sent none
     * @param certificates the TLS port's certificates, to tell which one a request's host gets; null: no check
     */
    public ClientTls(String protocol, String sni, ServerCertificates certificates) {
        this.protocol = protocol;
        this.sni = sni;
        this.certificates = certificates;
    }

    /** A handshake whose requests are not checked against their host. */
    public ClientTls(String protocol, String sni) {
        this(protocol, sni, null);
    }

    /** The negotiated version, e.g. {@code TLSv1.3}; null when unknown. */
    public String protocol() {
        return protocol;
    }

    /** The server name the client asked for, lower case; null when it sent none. */
    public String sni() {
        return sni;
    }

    /**
     * Whether a request for {@code host} (the Host or the absolute-form authority, a port allowed)
     * came on a connection whose SNI chose another certificate than {@code host} would get: it then
     * gets 421 Misdirected Request (RFC 9110 §15.5.20), as Envoy Gateway and Contour answer, rather than
     * be served with the identity of another name. A host served by the same certificate (a
     * wildcard, a certificate with both names) may share the connection (RFC 9113 §9.1.1); a
     * connection without SNI, and a request without host, are not checked.
     */
    public boolean misdirected(String host) {
        if (sni == null || host == null || host.isEmpty() || certificates == null) {
            return false;
        }
        int n = sni.length();
        if (host.regionMatches(true, 0, sni, 0, n) && (host.length() == n || host.charAt(n) == ':')) {
            return false; // the usual request: its host is the server name (a port at most); no copy made
        }
        CertificateTable table = certificates.table();
        if (table == checkedTable && host.equals(checkedHost)) {
            return checkedMisdirected;
        }
        String name = CertificateTable.normalize(withoutPort(host));
        boolean misdirected = !name.equals(sni) && table.select(sni) != table.select(name);
        checkedHost = host;
        checkedTable = table;
        checkedMisdirected = misdirected;
        return misdirected;
    }

    private static String withoutPort(String host) {
        if (host.startsWith("[")) {
            int end = host.indexOf(']');
            return end < 0 ? host : host.substring(0, end + 1);
        }
        int colon = host.indexOf(':');
        return colon < 0 ? host : host.substring(0, colon);
    }

    @Override
    public String toString() {
        return "ClientTls[protocol=" + protocol + ", sni=" + sni + "]";
    }
}
