package dev.gatehouse.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.IntOrString;

import java.util.List;

@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "!has(self.algorithm) || self.algorithm != 'ConsistentHash' || has(self.hashOn)",
        message = "hashOn is required when algorithm is ConsistentHash")
public class UpstreamSpec {
    public enum Algorithm { RoundRobin, LeastConnections, ConsistentHash, LeastLatency }

    public enum HashSource { ClientIP, Header, Cookie, Consumer, Path, QueryParam }

    @Default("RoundRobin")
    @JsonPropertyDescription("How a target is picked: RoundRobin (smooth weighted), LeastConnections, ConsistentHash, "
            + "LeastLatency (power of two choices over a peak EWMA).")
    public Algorithm algorithm;

    @JsonPropertyDescription("What ConsistentHash hashes on.")
    public HashOn hashOn;

    @JsonPropertyDescription("Hash source used when the value of hashOn is absent from a request.")
    public HashOn hashFallback;

    @JsonPropertyDescription("Targets are the ready endpoints of this Service (pods), from its EndpointSlices.")
    public ServiceRef serviceRef;

    @JsonPropertyDescription("Static targets, host:port; a DNS name is re-resolved (DNS-based balancing).")
    public List<Target> targets;

    @JsonPropertyDescription("Active and passive health checks of the targets.")
    public HealthChecks healthChecks;

    @Pattern(Schema.DURATION)
    @JsonPropertyDescription("A new or returning target's weight ramps up over this time, e.g. 30s. Default 0s (off).")
    public String slowStart;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @ValidationRule(value = "!(self.source in ['Header', 'Cookie', 'QueryParam']) || has(self.name)",
            message = "name is required when source is Header, Cookie or QueryParam")
    public static class HashOn {
        @Required
        @JsonPropertyDescription("ClientIP, Header, Cookie, Consumer, Path or QueryParam.")
        public HashSource source;

        @JsonPropertyDescription("Header, cookie or query parameter name.")
        public String name;

        @Pattern(Schema.DURATION)
        @JsonPropertyDescription("Cookie source only: Max-Age of the cookie the proxy sets when a request has none, "
                + "e.g. 1h. Default: a session cookie.")
        public String cookieTtl;

        @Pattern("^/.*$")
        @JsonPropertyDescription("Cookie source only: Path of the cookie the proxy sets. Default /.")
        public String cookiePath;

        @JsonPropertyDescription("Cookie source only: SameSite of the cookie the proxy sets, Strict, Lax or None. Default Lax.")
        public SameSite cookieSameSite;

        @JsonPropertyDescription("Cookie source only: whether the cookie the proxy sets is Secure. Default false.")
        public Boolean cookieSecure;
    }

    public enum SameSite { Strict, Lax, None }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class ServiceRef {
        @Required
        @JsonPropertyDescription("Name of the Service, in the same namespace.")
        public String name;

        @JsonPropertyDescription("Must be empty or the Upstream's own namespace: cross-namespace references are refused.")
        public String namespace;

        @Required
        @JsonPropertyDescription("The Service port, by name or number.")
        public IntOrString port;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Target {
        @Required
        @Pattern(Schema.ADDRESS)
        @JsonPropertyDescription("host:port; an IP address or a DNS name.")
        public String address;

        @Min(0)
        @Max(65535)
        @Default("100")
        @JsonPropertyDescription("Relative weight 0..65535; 0 drains the target (no new requests). Default 100.")
        public Integer weight;

        public Target() {
        }

        public Target(String address, Integer weight) {
            this.address = address;
            this.weight = weight;
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class HealthChecks {
        public ActiveCheck active;
        public PassiveCheck passive;

        @Default("true")
        @JsonPropertyDescription("When every target is unhealthy or ejected: true balances over all of them anyway "
                + "(fail open), false answers 503. Default true.")
        public Boolean failOpen;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class ActiveCheck {
        @Pattern("^/.*$")
        @Default("/")
        @JsonPropertyDescription("Path of the HTTP GET probe.")
        public String path;

        @Pattern(Schema.DURATION)
        @Default("5s")
        public String interval;

        @Pattern(Schema.DURATION)
        @Default("1s")
        public String timeout;

        @Min(1)
        @Default("2")
        public Integer healthyThreshold;

        @Min(1)
        @Default("3")
        public Integer unhealthyThreshold;

        @JsonPropertyDescription("Statuses that count as healthy; default 200..399.")
        public List<Integer> healthyStatuses;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class PassiveCheck {
        @Min(1)
        @Default("5")
        public Integer consecutiveFailures;

        @Pattern(Schema.DURATION)
        @Default("30s")
        public String ejectionTime;

        @Min(0)
        @Max(100)
        @Default("50")
        public Integer maxEjectionPercent;
    }
}
