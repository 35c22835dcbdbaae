package dev.gatehouse.controller.translate;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.Service;
import dev.gatehouse.config.Upstream;
import io.fabric8.kubernetes.api.model.HasMetadata;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** What the steps of one translation share; each step reads what earlier steps accepted. */
final class TranslationContext {
    /** Accepted upstreams by {@code namespace/name} (a url service's own under {@code namespace/name#url}). */
    final Map<String, Upstream> upstreams = new TreeMap<>();
    /**
     * The Services (and so EndpointSlices), {@code namespace/name}, that steps after the Upstream
     * step looked up; filled in incremental translations only ({@link EndpointUpdate}).
     */
    final java.util.Set<String> servicesReadLater = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Accepted services with every reference resolved, by {@code namespace/name}. */
    final Map<String, Service> services = new TreeMap<>();
    /** Services that exist but cannot take traffic (refused, or a reference unresolved), by key, with why. */
    final Map<String, String> unusableServices = new HashMap<>();
    /** The plugin settings of accepted services, for routes to inherit. */
    final Map<String, dev.gatehouse.api.v1alpha1.Plugins> servicePlugins = new HashMap<>();
    /** Accepted consumers by {@code namespace/name}. */
    final Map<String, Consumer> consumers = new TreeMap<>();
    /** Consumers refused because of a conflict: their keys must not leave a gap another consumer fills. */
    final Set<String> refusedConsumers = new HashSet<>();
    final List<dev.gatehouse.config.Route> routes = new ArrayList<>();
    /** Claims of routes and Ingresses on TLS Secrets, in snapshot route order (the first claim of a host wins). */
    final List<TlsClaim> tlsClaims = new ArrayList<>();
    /** Accepted certificates by id; filled by {@link CertificateStep}. */
    final Map<String, dev.gatehouse.config.Certificate> certificates = new TreeMap<>();
    /** What became of the default certificate; null when none is configured. */
    DefaultCertificate defaultCertificate;

    /**
     * A route's (or an Ingress {@code spec.tls} entry's) request for a certificate.
     *
     * @param report    the object whose status tells the outcome
     * @param field     the field naming the Secret, e.g. {@code spec.tls.secretName}
     * @param namespace the Secret's namespace (the object's own)
     * @param secretName the Secret's name
     * @param hosts     the hosts to serve it for, in {@link dev.gatehouse.config.Route#hosts()} syntax
     * @param routeIds  the snapshot routes it serves; they lose their https redirect when it cannot be served
     */
    record TlsClaim(ObjectReport report, String field, String namespace, String secretName, List<String> hosts,
                    List<String> routeIds, Scope scope) {
        /** A route's or an Ingress's claim. */
        TlsClaim(ObjectReport report, String field, String namespace, String secretName, List<String> hosts,
                 List<String> routeIds) {
            this(report, field, namespace, secretName, hosts, routeIds, Scope.ROUTE);
        }

        String secretKey() {
            return namespace + "/" + secretName;
        }
    }

    /** Who claims a certificate, which decides what an uncovered host means. */
    enum Scope {
        /**
         * A GatewayRoute or an Ingress: a certificate covering none of its hosts is refused, and its
         * routes are served over plain HTTP only.
         */
        ROUTE,
        /**
         * A Gateway HTTPS listener with a hostname: the Secret was checked when the listener was
         * ({@link ListenerCertificates}); hosts it does not cover are notes, never a refusal, as the
         * listener names the certificate for its hostname.
         */
        LISTENER,
        /**
         * A Gateway HTTPS listener without a hostname: as {@link #LISTENER} for the hostnames of the
         * routes attached to it, and a candidate for the fallback certificate (clients without SNI,
         * or with a name no certificate is for) when no {@code --default-certificate-secret} is served.
         */
        LISTENER_ANY_HOST
    }

    /** Secrets read as certificates in this translation, by {@code namespace/name}: each is read once. */
    final Map<String, CertificateStep.Read> certificateReads = new HashMap<>();

    /**
     * Reports by {@link #reportKey}, in the order the steps made them: each step goes through its
     * objects in one order, so {@link #statuses()} sorts a few sorted runs, which is cheap.
     */
    private final Map<String, ObjectReport> reports;

    TranslationContext() {
        this(0);
    }

    /**
     * @param expectedReports how many objects the translation is expected to report on (the last
     *                        translation's count, in an incremental one): the map of reports is made
     *                        that big at once instead of growing, and rehashing, 15 times to 27 000
     */
    TranslationContext(int expectedReports) {
        reports = new LinkedHashMap<>(capacity(expectedReports));
    }

    /** A hash map's initial capacity holding {@code entries} without growing. */
    static int capacity(int entries) {
        return entries < 12 ? 16 : (int) Math.min(1 << 30, entries / 0.75 + 1);
    }

    /** How many objects have a report so far. */
    int reportCount() {
        return reports.size();
    }

    static String reportKey(HasMetadata o) {
        return o.getKind() + "/" + Sources.key(o);
    }

    ObjectReport report(HasMetadata o) {
        return reports.computeIfAbsent(reportKey(o), k -> new ObjectReport(Sources.of(o)));
    }

    /**
     * True when {@code o}'s outcome may be kept: a memo is in use, and no other object of its kind
     * and name has a report in this translation yet (two objects of one name share a report, which
     * is no one object's outcome).
     */
    boolean keeps(HasMetadata o) {
        return memo != null && !reports.containsKey(reportKey(o));
    }

    /**
     * The per-object outcomes kept from earlier translations, or null for a full translation
     * ({@link IncrementalTranslator}).
     */
    TranslationMemo memo;

    /**
     * The report of {@code o} continued from a kept one; null when {@code o} already has a report
     * in this translation (two objects of one name), which only a translation from scratch gets right.
     */
    ObjectReport reuse(TranslationMemo.Entry kept) {
        ObjectReport r = kept.base.reuse();
        if (reports.putIfAbsent(kept.reportKey, r) != null) {
            return null;
        }
        return r;
    }

    /** The report of {@code key} in this translation; null when none. */
    ObjectReport reportOf(String key) {
        return reports.get(key);
    }

    /** Adds the report {@code key}, continued from a kept copy ({@link TranslationMemo.StepOutcome}). */
    void replay(String key, ObjectReport kept) {
        reports.put(key, kept.reuse());
    }

    /**
     * The report keys in status order as the last translation sorted them ({@link #statusOrder});
     * null for none. Set by an incremental translation before it runs.
     */
    String[] lastStatusOrder;
    /** The report keys in status order, as {@link #statuses()} made them. */
    String[] statusOrder;

    /**
     * Every object's status, sorted by kind, namespace and name. When this translation reports on
     * exactly the objects the last one did (as many, each key found: a route edited, no object
     * added or removed), their order is the last one's and is not sorted again: routes are
     * reported in creation order, so sorting them was a sort of 10 000 keys at full size.
     */
    List<ObjectStatus> statuses() {
        String[] last = lastStatusOrder;
        if (last != null && last.length == reports.size()) {
            List<ObjectStatus> out = new ArrayList<>(last.length);
            for (String key : last) {
                ObjectReport r = reports.get(key);
                if (r == null) {
                    break;
                }
                out.add(r.toStatus());
            }
            if (out.size() == last.length) {
                statusOrder = last;
                return out;
            }
        }
        List<Map.Entry<String, ObjectReport>> all = new ArrayList<>(reports.entrySet());
        all.sort(Map.Entry.comparingByKey());
        List<ObjectStatus> out = new ArrayList<>(all.size());
        String[] order = new String[all.size()];
        for (int i = 0; i < all.size(); i++) {
            order[i] = all.get(i).getKey();
            out.add(all.get(i).getValue().toStatus());
        }
        statusOrder = order;
        return out;
    }

    /** {@code objects} by namespace and name; the same list as last time when they are the same as last time. */
    <T extends HasMetadata> List<T> sorted(TranslationMemo.Kind kind, List<T> objects) {
        return sorted(kind, objects, Sources.NAME_ORDER);
    }

    /** {@code objects} in {@code order}; through {@code kind} of the memo, when there is one. */
    <T extends HasMetadata> List<T> sorted(TranslationMemo.Kind kind, List<T> objects, java.util.Comparator<? super T> order) {
        if (memo != null) {
            return kind.sorted(objects, order);
        }
        List<T> copy = new ArrayList<>(objects);
        copy.sort(order);
        return copy;
    }

    <T extends HasMetadata> List<T> sorted(List<T> objects) {
        List<T> copy = new ArrayList<>(objects);
        copy.sort(Sources.NAME_ORDER);
        return copy;
    }
}
