package dev.gatehouse.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.upstreamRef) != has(self.url)",
        message = "exactly one of upstreamRef or url must be set")
public class GatewayServiceSpec {
    public enum Protocol { http, https }

    @JsonPropertyDescription("The Upstream whose targets receive the traffic. Exactly one of upstreamRef and url.")
    public ObjectRef upstreamRef;

    @Pattern("^https?://[^/?#\\s]+(/[^?#\\s]*)?$")
    @JsonPropertyDescription("http(s)://host[:port][/path]: a single target; the path becomes the service path.")
    public String url;

    @JsonPropertyDescription("http or https towards the targets. Default http, or the scheme of url.")
    public Protocol protocol;

    @Pattern("^/.*$")
    @JsonPropertyDescription("Prefix added to the upstream request path. Default /.")
    public String path;

    @Min(0)
    @Default("5")
    @JsonPropertyDescription("How many more targets to try after the first; a retry never reuses a tried target. Default 5.")
    public Integer retries;

    public Timeouts timeouts;

    public Plugins plugins;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Timeouts {
        @Pattern(Schema.DURATION)
        @Default("60s")
        public String connect;

        @Pattern(Schema.DURATION)
        @Default("60s")
        public String read;

        @Pattern(Schema.DURATION)
        @Default("60s")
        public String write;
    }
}
