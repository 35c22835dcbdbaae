package dev.gatehouse.controller.translate;

import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressClass;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which Ingresses are Gatehouse's, as the Kubernetes API defines Ingress classes
 * (networking.k8s.io/v1, "Ingress class" and "Default IngressClass"): an Ingress is taken when
 * <ol>
 *   <li>{@code spec.ingressClassName} names our class; else</li>
 *   <li>the legacy annotation {@code kubernetes.io/ingress.class} names it; else (no class at all)</li>
 *   <li>our IngressClass is marked default ({@code ingressclass.kubernetes.io/is-default-class: "true"}).</li>
 * </ol>
 * Our class is the one named {@link #className()}. When an IngressClass of that name exists with
 * another {@code spec.controller}, the name is another controller's: no Ingress is taken by it
 * (and {@link #conflict} says why). Every other Ingress is ignored: no route, no status, no Event.
 *
 * @param className the IngressClass name ({@code --ingress-class}); null: Ingress support is off
 */
public record IngressSelection(String className) {
    /** The {@code spec.controller} of Gatehouse's IngressClass. */
    public static final String CONTROLLER = "gatehouse.dev/ingress-controller";
    public static final String DEFAULT_CLASS_NAME = "gatehouse";
    public static final String IS_DEFAULT_ANNOTATION = "ingressclass.kubernetes.io/is-default-class";
    public static final String LEGACY_ANNOTATION = "kubernetes.io/ingress.class";
    public static final IngressSelection DEFAULT = new IngressSelection(DEFAULT_CLASS_NAME);
    public static final IngressSelection OFF = new IngressSelection(null);

    public IngressSelection {
        if (className != null && className.isBlank()) {
            className = null;
        }
    }

    public boolean enabled() {
        return className != null;
    }

    /** Whether {@code ingress} is Gatehouse's, given every IngressClass in the cluster. */
    public boolean takes(Ingress ingress, List<IngressClass> classes) {
        if (className == null || conflict(classes) != null) {
            return false;
        }
        String named = ingress.getSpec() == null ? null : ingress.getSpec().getIngressClassName();
        if (named != null && !named.isEmpty()) {
            return named.equals(className);
        }
        Map<String, String> annotations = ingress.getMetadata().getAnnotations();
        String legacy = annotations == null ? null : annotations.get(LEGACY_ANNOTATION);
        if (legacy != null && !legacy.isEmpty()) {
            return legacy.equals(className);
        }
        IngressClass ours = ours(classes);
        return ours != null && isDefault(ours);
    }

    /** The IngressClass named {@link #className()}, or null when none exists. */
    public IngressClass ours(List<IngressClass> classes) {
        for (IngressClass c : classes) {
            if (Objects.equals(c.getMetadata().getName(), className)) {
                return c;
            }
        }
        return null;
    }

    /** Why the class name is another controller's (an IngressClass of that name with another controller), or null. */
    public String conflict(List<IngressClass> classes) {
        IngressClass c = ours(classes);
        String controller = c == null || c.getSpec() == null ? null : c.getSpec().getController();
        if (c == null || CONTROLLER.equals(controller)) {
            return null;
        }
        return "IngressClass " + className + " has spec.controller \"" + controller + "\" (expected: " + CONTROLLER
                + "); no Ingress is taken by this class: give Gatehouse another class with --ingress-class";
    }

    static boolean isDefault(IngressClass c) {
        Map<String, String> a = c.getMetadata().getAnnotations();
        return a != null && "true".equals(a.get(IS_DEFAULT_ANNOTATION));
    }
}
