package dev.gatehouse.proxy.forward;

import dev.gatehouse.config.Snapshot;
import dev.gatehouse.proxy.auth.Namespaces;
import dev.gatehouse.proxy.balance.Balancers;
import dev.gatehouse.proxy.observe.RouteMetersFactory;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Key-auth's namespace handles belong to a proxy's chain of compiled snapshots: each proxy (each
 * {@link DataPlane}) starts a registry of its own, every compile after its start takes over the
 * previous snapshot's, and a compile from scratch starts afresh. Two proxies in one JVM never share one.
 */
class CompiledNamespacesTest {

    private static Namespaces namespaces(CompiledSnapshot c) {
        return c.credentials().namespaces();
    }

    @Test
    void eachProxyStartsARegistryOfItsOwn() {
        assertThat(namespaces(new DataPlane().compiled())).isNotSameAs(namespaces(new DataPlane().compiled()));
        assertThat(namespaces(CompiledSnapshot.empty())).isNotSameAs(namespaces(CompiledSnapshot.empty()));
    }

    @Test
    void aCompileAfterAnotherKeepsItsRegistryAndOneFromScratchStartsAnother() {
        CompiledSnapshot start = new DataPlane().compiled();
        Balancers balancers = new Balancers();
        CompiledSnapshot next = CompiledSnapshot.compile(Snapshot.EMPTY, RouteMetersFactory.detached(), balancers.plan(),
                new RetryBudgets().plan(), start);
        assertThat(namespaces(next)).isSameAs(namespaces(start));
        CompiledSnapshot fresh = CompiledSnapshot.compile(Snapshot.EMPTY, RouteMetersFactory.detached(), balancers.plan(),
                new RetryBudgets().plan(), null);
        assertThat(namespaces(fresh)).isNotSameAs(namespaces(start));
    }
}
