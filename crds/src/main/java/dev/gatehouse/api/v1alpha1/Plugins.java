package dev.gatehouse.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.List;

/** Plugins of a route or a service; a route's settings win over its service's. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Plugins {
    @JsonPropertyDescription("API key authentication, as Kong's key-auth plugin. Present (even empty) means on.")
    public KeyAuth keyAuth;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class KeyAuth {
        @JsonPropertyDescription("Header names, and query parameter names when keyInQuery. Default [apikey].")
        public List<String> keyNames;

        @JsonPropertyDescription("Look for the key in request headers. Default true.")
        public Boolean keyInHeader;

        @JsonPropertyDescription("Look for the key in the query string. Default true.")
        public Boolean keyInQuery;

        @JsonPropertyDescription("Remove the key before the request goes upstream. Default false.")
        public Boolean hideCredentials;

        @JsonPropertyDescription("Name of a Consumer (same namespace) to use when no key is given.")
        public String anonymous;
    }
}
