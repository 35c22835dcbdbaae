package dev.gatehouse.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.ValidationRule;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "has(self.upstreamRef) != has(self.url)",
        message = "exactly one of upstreamRef or url must be set")
public class GatewayServiceSpec {
    /** How the targets are spoken to: HTTP/1.1 (http, https over TLS) or HTTP/2 (h2c cleartext, grpc, grpcs over TLS). */
    public enum Protocol { http, https, h2c, grpc, grpcs }

    @JsonPropertyDescription("The Upstream whose targets receive the traffic. Exactly one of upstreamRef and url.")
    public ObjectRef upstreamRef;

    @Pattern("^https?://[^/?#\\s]+(/[^?#\\s]*)?$")
    @JsonPropertyDescription("http(s)://host[:port][/path]: a single target; the path becomes the service path.")
    public String url;

    @JsonPropertyDescription("How the targets are spoken to: http or https (HTTP/1.1, the latter over TLS), h2c (HTTP/2 "
            + "cleartext with prior knowledge), grpc (h2c with gRPC error mapping) or grpcs (grpc over TLS). Default http, "
            + "or the scheme of url.")
    public Protocol protocol;

    @Pattern("^/.*$")
    @JsonPropertyDescription("Prefix added to the upstream request path. Default /.")
    public String path;

    @Min(0)
    @Default("5")
    @JsonPropertyDescription("How many more targets to try after the first; a retry never reuses a tried target. Default 5.")
    public Integer retries;

    @JsonPropertyDescription("Caps the retries in flight for this service, as Envoy's retry budget does, so a failing target"
            + " cannot multiply the load on the healthy ones: a retry is made only while the retries in flight stay within"
            + " max(minConcurrency, percent% of the requests in flight to its targets). A refused retry answers as the"
            + " failed attempt did (502 or 504). Default {percent: 20, minConcurrency: 3}.")
    public RetryBudget retryBudget;

    public Timeouts timeouts;

    public Plugins plugins;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class RetryBudget {
        @Min(0)
        @Max(100)
        @Default("20")
        @JsonPropertyDescription("Share (0..100) of the requests in flight to the service's targets, retries included,"
                + " that may be retries; 100 turns the cap off. Default 20.")
        public Integer percent;

        @Min(0)
        @Default("3")
        @JsonPropertyDescription("Retries always allowed in flight, however little traffic there is. Default 3.")
        public Integer minConcurrency;
    }

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
