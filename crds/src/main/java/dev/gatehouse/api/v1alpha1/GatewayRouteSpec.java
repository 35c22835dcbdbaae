package dev.gatehouse.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

import java.util.List;
import java.util.Map;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.tls) || (has(self.hosts) && size(self.hosts) > 0)",
        message = "tls needs hosts: the certificate is chosen by the SNI name, which must be one of the route's hosts")
public class GatewayRouteSpec {
    @Required
    @JsonPropertyDescription("The GatewayService matched requests go to, in the same namespace.")
    public ObjectRef serviceRef;

    @JsonPropertyDescription("Exact host names or *.suffix wildcards. Empty matches any host.")
    public List<@Pattern(Schema.HOST) String> hosts;

    @JsonPropertyDescription("Path prefixes, or regexes marked by a leading ~ (Kong 3 style). Empty matches any path. "
            + "A prefix must be in normal form (no empty, . or .. segments, no percent-encoded unreserved characters; "
            + "a trailing / is fine), as request paths are normalized before matching.")
    public List<@Pattern(Schema.ROUTE_PATH) String> paths;

    @JsonPropertyDescription("HTTP methods, upper case. Empty matches any method.")
    public List<@Pattern(Schema.METHOD) String> methods;

    @JsonPropertyDescription("Header name to accepted values; every listed header must match one of its values.")
    public Map<String, List<String>> headers;

    @Default("true")
    @JsonPropertyDescription("Remove the matched prefix before forwarding. Default true (as Kong).")
    public Boolean stripPath;

    @Default("false")
    @JsonPropertyDescription("Send the client's Host header upstream instead of the target's. Default false.")
    public Boolean preserveHost;

    @Default("0")
    @JsonPropertyDescription("Higher wins among otherwise equal matches. Default 0.")
    public Integer priority;

    @Pattern(Schema.BYTE_SIZE)
    @JsonPropertyDescription("The largest request body accepted, as a byte quantity: 10Mi, 512Ki, 1M, 1048576 "
            + "(Ki Mi Gi Ti are powers of 1024, k M G T powers of 1000). A larger body gets 413 before anything "
            + "is sent upstream when Content-Length says so; a chunked body that goes past it aborts the upstream "
            + "exchange. Empty or absent: no limit.")
    public String maxBodySize;

    @Default("false")
    @JsonPropertyDescription("Keep %2F and %5C (an encoded / or \\) in the request path. Default false: such a "
            + "request gets 400, as a backend that decodes them would see another path than the one matched.")
    public Boolean allowEncodedSlashes;

    @JsonPropertyDescription("Terminate TLS for this route's hosts on the proxy's TLS port with the certificate of a "
            + "kubernetes.io/tls Secret in the route's namespace. Needs hosts.")
    public Tls tls;

    @Default("false")
    @JsonPropertyDescription("Answer requests that arrive in cleartext with 308 to the same URL over https. Default false.")
    public Boolean httpsRedirect;

    @Pattern(Schema.DURATION)
    @JsonPropertyDescription("How long a WebSocket tunnel of this route may stay silent both ways before both sides are "
            + "closed, e.g. 30m. Default 1h.")
    public String websocketIdleTimeout;

    public Plugins plugins;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Tls {
        @Required
        @Pattern(Schema.SECRET_NAME)
        @JsonPropertyDescription("A Secret of type kubernetes.io/tls in the route's namespace, with tls.crt (PEM, the leaf "
                + "first, then its intermediates) and tls.key (PEM: PKCS#8, PKCS#1 RSA or SEC1 EC). Its SANs must cover "
                + "the route's hosts; hosts they do not cover get no certificate from it.")
        public String secretName;
    }
}
