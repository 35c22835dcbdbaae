package dev.gatehouse.controller.translate;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

import java.util.ArrayList;
import java.util.List;

/**
 * The objects the opt-in full-size figures feed the translator: the fixture's kinds in
 * {@link ClusterStore.Kind} order, each object given a uid and a resourceVersion as an API server
 * would, and a fresh copy per change as an informer hands out.
 */
final class ScaleObjects {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private ScaleObjects() {
    }

    /** {@code state}'s objects by kind, in {@link ClusterStore.Kind} order. */
    static List<List<? extends HasMetadata>> kinds(ClusterState state) {
        return List.of(state.upstreams(), state.services(), state.routes(), state.consumers(),
                state.kubeServices(), state.endpointSlices(), state.secrets());
    }

    /** Fills {@code store} with {@code kinds}, stamping each object when {@code rv} is given; the feeds in kind order. */
    static List<ClusterStore.Feed> fill(ClusterStore store, List<List<? extends HasMetadata>> kinds, long[] rv) {
        List<ClusterStore.Feed> feeds = new ArrayList<>();
        for (int i = 0; i < kinds.size(); i++) {
            ClusterStore.Feed feed = store.feed(ClusterStore.Kind.values()[i]);
            feeds.add(feed);
            for (HasMetadata o : kinds.get(i)) {
                store.upsert(feed, rv == null ? o : stamp(o, rv));
            }
        }
        return feeds;
    }

    /** A copy at the next resourceVersion: an informer hands out a new object for every change. */
    static HasMetadata fresh(HasMetadata o, long[] rv) {
        return stamp(SERIALIZATION.clone(o), rv);
    }

    static <T extends HasMetadata> T stamp(T o, long[] rv) {
        if (o.getMetadata().getUid() == null) {
            o.getMetadata().setUid("uid-" + Sources.key(o) + "-" + o.getKind());
        }
        o.getMetadata().setResourceVersion(Long.toString(rv[0]++));
        return o;
    }
}
