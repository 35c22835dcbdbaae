package dev.gatehouse.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Upstream status: the conditions plus the resolved target count shown by kubectl get. */
public class UpstreamStatus extends GatewayStatus {
    @JsonPropertyDescription("Number of targets resolved from spec.targets and the ready endpoints of spec.serviceRef.")
    public Integer targets;

    @JsonPropertyDescription("Targets that may take new requests: resolved targets with a weight above 0 (a not-ready endpoint "
            + "is not a target; a terminating one is drained to weight 0). Active health is per proxy: see its /upstreams.")
    public Integer readyTargets;
}
