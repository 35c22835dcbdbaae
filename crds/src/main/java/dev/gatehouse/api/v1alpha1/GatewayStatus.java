package dev.gatehouse.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;

import java.util.ArrayList;
import java.util.List;

/** Status shared by every Gatehouse resource: the conditions Accepted, ResolvedRefs, Programmed. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class GatewayStatus {
    @JsonPropertyDescription("Accepted (the object is valid), ResolvedRefs (every reference was found), "
            + "Programmed (the generation is applied by every connected proxy).")
    public List<Condition> conditions = new ArrayList<>();
}
