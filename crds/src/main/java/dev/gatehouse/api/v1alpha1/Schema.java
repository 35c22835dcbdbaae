package dev.gatehouse.api.v1alpha1;

/** Patterns shared by the schemas. The translator parses what these let through. */
public final class Schema {
    /** A duration: one or more {@code <number><unit>} parts, units ms, s, m, h; e.g. 500ms, 5s, 1m30s. */
    public static final String DURATION = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$";
    /**
     * A byte-size limit: digits with an optional suffix Ki, Mi, Gi, Ti (powers of 1024) or k, M, G, T
     * (powers of 1000), e.g. 10Mi, 512Ki, 1M, 1048576; or empty for no limit. The same text as
     * {@code dev.gatehouse.config.ByteSizes.PATTERN}, which the translator parses with (a controller
     * test proves the two equal).
     */
    public static final String BYTE_SIZE = "^([0-9]+(Ki|Mi|Gi|Ti|k|M|G|T)?)?$";
    /** An exact DNS host name, or a {@code *.} wildcard over one, lower case. */
    public static final String HOST = "^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
    /** {@code host:port} with a DNS name, an IPv4 address or a bracketed IPv6 address. */
    public static final String ADDRESS = "^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?):[0-9]{1,5}$";
    /** A Kubernetes object name (DNS subdomain, RFC 1123), as a Secret's. */
    public static final String SECRET_NAME = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
    /** An HTTP method token, upper case. */
    public static final String METHOD = "^[A-Z]+$";
    /** A path prefix, or a regex marked by a leading {@code ~}. */
    public static final String ROUTE_PATH = "^(/|~).*$";

    private Schema() {
    }
}
