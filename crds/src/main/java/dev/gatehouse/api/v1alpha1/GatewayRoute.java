package dev.gatehouse.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** Which requests match, and the plugins applied to them. */
@Group(Upstream.GROUP)
@Version(Upstream.VERSION)
@ShortNames("groute")
@AdditionalPrinterColumn(name = "Hosts", jsonPath = ".spec.hosts", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Paths", jsonPath = ".spec.paths", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Service", jsonPath = ".spec.serviceRef.name", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Accepted", jsonPath = ".status.conditions[?(@.type==\"Accepted\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Programmed", jsonPath = ".status.conditions[?(@.type==\"Programmed\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class GatewayRoute extends CustomResource<GatewayRouteSpec, GatewayStatus> implements Namespaced {
}
