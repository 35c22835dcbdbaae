package dev.gatehouse.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Consumer status: the conditions plus the number of keys that authenticate as it, shown by kubectl get. */
public class ConsumerStatus extends GatewayStatus {
    @JsonPropertyDescription("Number of API keys that authenticate as this consumer now: the keys of spec.keyAuth's Secrets "
            + "that were found, labelled and hold a key (and the generated one). 0 while the consumer is not accepted. "
            + "The keys themselves are never shown.")
    public Integer keys;
}
