package dev.gatehouse.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

import java.util.List;
import java.util.Map;

@JsonInclude(JsonInclude.Include.NON_NULL)
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

    public Plugins plugins;
}
