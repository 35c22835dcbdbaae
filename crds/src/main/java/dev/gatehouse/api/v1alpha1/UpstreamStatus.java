package dev.gatehouse.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Upstream status: the conditions plus the resolved target count shown by kubectl get. */
public class UpstreamStatus extends GatewayStatus {
    @JsonPropertyDescription("Number of targets resolved from spec.targets and the ready endpoints of spec.serviceRef.")
    public Integer targets;
}
