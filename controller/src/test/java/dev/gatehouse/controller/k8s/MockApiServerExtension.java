package dev.gatehouse.controller.k8s;

import io.fabric8.kubernetes.client.Client;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;

/**
 * A {@link MockApiServer} for each test, in place of Fabric8's {@code @EnableKubernetesMockClient(crud
 * = true)} (which builds its server with a dispatcher of its own, whose watch close holds the
 * server's event loop). Before each test, the test instance's fields are set: one of type
 * {@link KubernetesMockServer} to the server, one of a client type ({@code KubernetesClient}) to a
 * client of it, one of type {@link MockApiServer} to the whole. After each test (after the test's
 * own {@code @AfterEach}), its clients are closed, then the server.
 */
public final class MockApiServerExtension implements BeforeEachCallback, AfterEachCallback {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(MockApiServerExtension.class);

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        MockApiServer api = new MockApiServer();
        context.getStore(NS).put(MockApiServer.class, api);
        Client client = null;
        for (Object instance : context.getRequiredTestInstances().getAllInstances()) {
            for (Class<?> c = instance.getClass(); c != Object.class; c = c.getSuperclass()) {
                for (Field f : c.getDeclaredFields()) {
                    if (Modifier.isStatic(f.getModifiers())) {
                        continue;
                    }
                    Object value = null;
                    if (f.getType() == KubernetesMockServer.class) {
                        value = api.server();
                    } else if (f.getType() == MockApiServer.class) {
                        value = api;
                    } else if (Client.class.isAssignableFrom(f.getType())) {
                        client = client != null ? client : api.newClient();
                        value = client.adapt(f.getType().asSubclass(Client.class));
                    }
                    if (value != null) {
                        f.setAccessible(true);
                        f.set(instance, value);
                    }
                }
            }
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        MockApiServer api = context.getStore(NS).remove(MockApiServer.class, MockApiServer.class);
        if (api != null) {
            api.close();
        }
    }
}
