package dev.gatehouse.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/** A pool of targets and how to balance across them. */
@Group(Upstream.GROUP)
@Version(Upstream.VERSION)
@ShortNames("gup")
@AdditionalPrinterColumn(name = "Algorithm", jsonPath = ".spec.algorithm", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.readyTargets", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Targets", jsonPath = ".status.targets", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Accepted", jsonPath = ".status.conditions[?(@.type==\"Accepted\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Programmed", jsonPath = ".status.conditions[?(@.type==\"Programmed\")].status", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class Upstream extends CustomResource<UpstreamSpec, UpstreamStatus> implements Namespaced {
    public static final String GROUP = "gatehouse.dev";
    public static final String VERSION = "v1alpha1";
}
