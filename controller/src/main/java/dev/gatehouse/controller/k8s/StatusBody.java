package dev.gatehouse.controller.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;

import java.lang.reflect.InvocationTargetException;

/**
 * The body of a status write (PUT to the status subresource): a new object of the cached one's
 * class carrying its name, namespace, uid and resourceVersion only; the caller sets the status.
 *
 * <p>The API server takes nothing but {@code status} from such a body (the status strategy of
 * custom resources copies the stored object and sets the status; Ingress resets spec and metadata
 * to the stored ones), and checks the resourceVersion (409 on a stale one) and the uid (a
 * precondition: a name deleted and created again is not written). So neither the spec nor the
 * rest of the metadata ({@code managedFields} above all) needs to travel. This replaced a JSON
 * round trip of the whole cached object per write (serialised and parsed again to copy it, then
 * serialised once more by the client), the largest part of the status writer's CPU per write.
 */
final class StatusBody {
    private StatusBody() {
    }

    /** A fresh object of {@code current}'s class with its identity and resourceVersion; no spec, no status. */
    @SuppressWarnings("unchecked")
    static <T extends HasMetadata> T of(T current) {
        java.util.Objects.requireNonNull(current, "current");
        T body;
        try {
            body = (T) current.getClass().getDeclaredConstructor().newInstance();
        } catch (NoSuchMethodException | InstantiationException | IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("status body of " + current.getClass().getName()
                    + ": no public no-argument constructor (every Kubernetes model class has one)", e);
        }
        ObjectMeta m = current.getMetadata();
        ObjectMeta meta = new ObjectMeta();
        meta.setName(m.getName());
        meta.setNamespace(m.getNamespace());
        meta.setUid(m.getUid());
        meta.setResourceVersion(m.getResourceVersion());
        body.setMetadata(meta);
        return body;
    }
}
