package dev.gatehouse.controller.translate;

import dev.gatehouse.api.v1alpha1.KeyAuthFilter;
import dev.gatehouse.api.v1alpha1.Plugins;
import dev.gatehouse.api.v1alpha1.Upstream;
import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.Route;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.LocalObjectReference;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Gatehouse's own {@code ExtensionRef} filters of HTTPRoute rules (docs/gateway-api.md,
 * "Extensions"): {@code {group: gatehouse.dev, kind: KeyAuthFilter, name}} turns key-auth on for the
 * rule, checked against the Consumers of the route's namespace, exactly as a GatewayRoute's
 * {@code plugins.keyAuth}. (A backendRef of kind {@code Upstream}, the other extension, is resolved
 * by {@link GatewayBackends} with the Upstreams this holds.)
 *
 * <p>The spec: "If a reference to a custom filter type cannot be resolved, the filter MUST NOT be
 * skipped. Instead, requests that would have been processed by that filter MUST receive a HTTP error
 * response." So every way an extensionRef can fail blocks its rule (500): an unknown group or kind
 * ({@code ResolvedRefs=False, InvalidKind}), a KeyAuthFilter that does not exist
 * ({@code BackendNotFound}, the spec's reason for "a reference to a resource that does not exist"),
 * and one whose settings cannot be used ({@code PartiallyInvalid}, naming its field). One instance per
 * translation: it indexes the KeyAuthFilters once.
 */
final class HttpRouteExtensions {
    /** The group of Gatehouse's extensions. */
    static final String GROUP = Upstream.GROUP;

    private final Map<String, KeyAuthFilter> filters = new HashMap<>();
    private final Map<String, Consumer> consumers;
    private final Map<String, dev.gatehouse.config.Upstream> upstreams;

    /** An extensionRef that cannot be applied: the rule is blocked; {@code reason} is a ResolvedRefs reason, or null. */
    record Refused(String reason, String message) {
    }

    /**
     * What one extensionRef gave: key-auth settings, or why the rule cannot be served; and a problem
     * with a reference that does not block the rule (a missing anonymous Consumer), or null.
     */
    record Resolved(Route.KeyAuth keyAuth, Refused refused, String note) {
    }

    /**
     * @param consumers the accepted Consumers by {@code namespace/name} ({@code TranslationContext.consumers})
     * @param upstreams the accepted Upstreams by {@code namespace/name} ({@code TranslationContext.upstreams}),
     *                  for backendRefs of kind Upstream ({@link GatewayBackends})
     */
    HttpRouteExtensions(GatewayApiState state, Map<String, Consumer> consumers,
                        Map<String, dev.gatehouse.config.Upstream> upstreams) {
        for (KeyAuthFilter f : state.keyAuthFilters()) {
            filters.put(Sources.key(f), f);
        }
        this.consumers = consumers;
        this.upstreams = upstreams;
    }

    /** For tests and rules without extensions: no KeyAuthFilter, no Consumer, no Upstream. */
    static final HttpRouteExtensions NONE = new HttpRouteExtensions(GatewayApiState.EMPTY, Map.of(), Map.of());

    /** The accepted Upstream {@code namespace/name}, or null. */
    dev.gatehouse.config.Upstream upstream(String key) {
        return upstreams.get(key);
    }

    /**
     * @param at        the filter's field, e.g. {@code filters[1]}
     * @param namespace the HTTPRoute's namespace (an extensionRef is a local reference)
     */
    Resolved resolve(LocalObjectReference ref, String at, String namespace) {
        if (ref == null) {
            return refused(null, at + ".extensionRef: missing (expected: group, kind and name of a Gatehouse extension, "
                    + "e.g. {group: gatehouse.dev, kind: KeyAuthFilter, name: ...})");
        }
        String group = Objects.requireNonNullElse(ref.getGroup(), "");
        String kind = Objects.requireNonNullElse(ref.getKind(), "");
        if (!group.equals(GROUP) || !kind.equals(KeyAuthFilter.KIND)) {
            return refused("InvalidKind", at + ".extensionRef: " + (group.isEmpty() ? "core" : group) + "/" + kind
                    + " is not an extension Gatehouse knows (expected: group gatehouse.dev, kind KeyAuthFilter)");
        }
        String name = ref.getName();
        KeyAuthFilter f = name == null ? null : filters.get(namespace + "/" + name);
        if (f == null) {
            return refused("BackendNotFound", at + ".extensionRef.name: KeyAuthFilter " + namespace + "/" + name
                    + " not found (expected: a KeyAuthFilter in the route's namespace)");
        }
        Plugins.KeyAuth k = Objects.requireNonNullElse(f.getSpec(), new Plugins.KeyAuth());
        String where = "KeyAuthFilter " + namespace + "/" + name + " ";
        if (Boolean.FALSE.equals(k.keyInHeader) && Boolean.FALSE.equals(k.keyInQuery)) {
            return refused(null, at + ": " + where + "spec: keyInHeader and keyInQuery are both false (expected: at least "
                    + "one place to look for a key)");
        }
        List<String> names = Objects.requireNonNullElse(k.keyNames, List.of());
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i) == null || !RouteStep.HEADER_NAME.matcher(names.get(i)).matches()) {
                return refused(null, at + ": " + where + "spec.keyNames[" + i + "]: \"" + names.get(i)
                        + "\" (expected: a header name token)");
            }
        }
        String anonymous = null;
        String note = null;
        if (k.anonymous != null && !k.anonymous.isEmpty()) {
            Consumer c = consumers.get(namespace + "/" + k.anonymous);
            if (c == null) {
                note = at + ": " + where + "spec.anonymous: Consumer " + namespace + "/" + k.anonymous
                        + " not found or not accepted (requests without a key get 401 until it is)";
            } else {
                anonymous = c.id();
            }
        }
        List<String> lower = names.stream().map(n -> n.toLowerCase(Locale.ROOT)).distinct().toList();
        return new Resolved(new Route.KeyAuth(lower, !Boolean.FALSE.equals(k.keyInHeader), !Boolean.FALSE.equals(k.keyInQuery),
                Boolean.TRUE.equals(k.hideCredentials), anonymous), null, note);
    }

    private static Resolved refused(String reason, String message) {
        return new Resolved(null, new Refused(reason, message), null);
    }
}
