package dev.gatehouse.api.v1alpha1;

/** Patterns shared by the schemas. The translator parses what these let through. */
public final class Schema {
    /** A duration: one or more {@code <number><unit>} parts, units ms, s, m, h; e.g. 500ms, 5s, 1m30s. */
    public static final String DURATION = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$";
    /** An exact DNS host name, or a {@code *.} wildcard over one, lower case. */
    public static final String HOST = "^(\\*\\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
    /** {@code host:port} with a DNS name, an IPv4 address or a bracketed IPv6 address. */
    public static final String ADDRESS = "^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?):[0-9]{1,5}$";
    /** An HTTP method token, upper case. */
    public static final String METHOD = "^[A-Z]+$";
    /** A path prefix, or a regex marked by a leading {@code ~}. */
    public static final String ROUTE_PATH = "^(/|~).*$";

    private Schema() {
    }
}
