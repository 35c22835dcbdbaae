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

    @JsonPropertyDescription("Path prefixes, or regexes marked by a leading ~ (Kong 3 style). Empty matches any path.")
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

    public Plugins plugins;
}
