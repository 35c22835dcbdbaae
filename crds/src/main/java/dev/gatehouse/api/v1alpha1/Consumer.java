package dev.gatehouse.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** An API client and its key-auth credentials. */
@Group(Upstream.GROUP)
@Version(Upstream.VERSION)
@ShortNames("gconsumer")
@AdditionalPrinterColumn(name = "Username", jsonPath = ".spec.username", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Custom-ID", jsonPath = ".spec.customId", type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "Keys", jsonPath = ".status.keys", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Accepted", jsonPath = ".status.conditions[?(@.type==\"Accepted\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Programmed", jsonPath = ".status.conditions[?(@.type==\"Programmed\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class Consumer extends CustomResource<ConsumerSpec, ConsumerStatus> implements Namespaced {
}
