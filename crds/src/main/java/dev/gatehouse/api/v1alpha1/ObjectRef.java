package dev.gatehouse.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

/** A reference to an object in the same namespace. Cross-namespace references are not supported. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ObjectRef {
    @Required
    @JsonPropertyDescription("Name of the object, in the same namespace.")
    public String name;

    @JsonPropertyDescription("Must be empty or the referring object's own namespace: cross-namespace references are refused.")
    public String namespace;

    public ObjectRef() {
    }

    public ObjectRef(String name) {
        this.name = name;
    }
}
