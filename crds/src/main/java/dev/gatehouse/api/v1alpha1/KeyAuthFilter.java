package dev.gatehouse.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * Key-auth for the rules of a Gateway API HTTPRoute that name it in an {@code ExtensionRef} filter
 * ({@code group: gatehouse.dev, kind: KeyAuthFilter}): the same settings as a GatewayRoute's
 * {@code plugins.keyAuth}, checked against the Consumers of the HTTPRoute's namespace. It has no
 * status of its own: what is wrong with it shows on the HTTPRoutes that use it (docs/gateway-api.md).
 */
@Group(Upstream.GROUP)
@Version(Upstream.VERSION)
@ShortNames("gkeyauth")
@AdditionalPrinterColumn(name = "Key-Names", jsonPath = ".spec.keyNames", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Hide-Credentials", jsonPath = ".spec.hideCredentials", type = AdditionalPrinterColumn.Type.BOOLEAN)
@AdditionalPrinterColumn(name = "Anonymous", jsonPath = ".spec.anonymous", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class KeyAuthFilter extends CustomResource<Plugins.KeyAuth, Void> implements Namespaced {
    /** The kind an HTTPRoute's {@code extensionRef} names. */
    public static final String KIND = "KeyAuthFilter";
}
