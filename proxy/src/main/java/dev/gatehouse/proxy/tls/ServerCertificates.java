package dev.gatehouse.proxy.tls;

import dev.gatehouse.config.Certificate;
import dev.gatehouse.config.Problem;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The certificates of the applied snapshot, ready to serve: one {@link SslContext} per
 * {@link Certificate}, built when a snapshot is compiled (never per handshake), kept across
 * snapshots while the certificate's chain and key are the same, and released when it leaves
 * (after {@link #RELEASE_GRACE}, so a handshake that picked it just before the swap still gets
 * it; a connection that uses it holds its own reference). Handshakes read the current
 * {@link CertificateTable} through one volatile field: a rotation reaches new handshakes at once
 * and leaves established connections as they are.
 *
 * <p>Like the rest of a snapshot, certificates are planned aside ({@link #plan}) and committed
 * with the swap ({@link #commit}); a refused snapshot abandons its plan and leaves no trace.
 * Per certificate the gauge {@code gatehouse_tls_certificate_expiry_seconds{secret}} (seconds
 * until its notAfter; removed with the certificate), and one line
 * {@code event=tls.certificate-expiring} per certificate version within {@link #EXPIRY_WARNING_DAYS}
 * days of expiry (checked on every apply and hourly). No key ever reaches a log, a metric or a
 * problem. {@link #plan}, {@link #commit}, {@link #abandon} and {@link #close} are called under
 * the proxy's apply lock.
 */
public final class ServerCertificates implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ServerCertificates.class);
    static final int EXPIRY_WARNING_DAYS = 14;
    /** How long a certificate that left the snapshot stays alive for handshakes that chose it just before. */
    static final long RELEASE_GRACE_SECONDS = 30;

    /** Resolves the provider: called once, by the first use that needs it ({@link #resolving}). */
    private final Supplier<SslProvider> resolve;
    /** Null until resolved. */
    private volatile SslProvider provider;
    /** Whether ALPN offers {@code h2}. */
    private final boolean http2;
    private final MeterRegistry registry;
    private volatile CertificateTable table = CertificateTable.EMPTY;
    /** By Secret id, as applied. */
    private volatile Map<String, Entry> entries = Map.of();
    private final Map<String, ExpiryGauge> gauges = new HashMap<>();

    private ServerCertificates(Supplier<SslProvider> resolve, boolean http2, MeterRegistry registry) {
        this.resolve = resolve;
        this.http2 = http2;
        this.registry = registry;
    }

    /**
     * For the provider {@code resolve} gives, asked once, by the first use that needs it: a
     * certificate to build ({@link #plan}), {@link #provider()}, a handshake's engine. Nothing
     * before asks for it, so a {@code resolve} that calls {@link TlsProvider#resolve} runs only if a
     * certificate ever comes.
     *
     * @param http2 offer {@code h2} in ALPN (before {@code http/1.1}); false offers {@code http/1.1} alone
     */
    public static ServerCertificates resolving(Supplier<SslProvider> resolve, boolean http2, MeterRegistry registry) {
        return new ServerCertificates(resolve, http2, registry);
    }

    /**
     * As {@link #resolving}, for the provider {@code aside} gives (done already, or being resolved
     * on another thread); resolved for {@link #providerIfResolved()} too once it is.
     *
     * @param http2 offer {@code h2} in ALPN (before {@code http/1.1}); false offers {@code http/1.1} alone
     */
    public static ServerCertificates resolvingAside(CompletableFuture<SslProvider> aside, boolean http2, MeterRegistry registry) {
        ServerCertificates certificates = new ServerCertificates(aside::join, http2, registry);
        aside.thenAccept(p -> certificates.provider = p);
        return certificates;
    }

    private SslProvider resolved() {
        SslProvider p = provider;
        if (p == null) {
            synchronized (this) {
                p = provider;
                if (p == null) {
                    provider = p = resolve.get();
                }
            }
        }
        return p;
    }

    /** {@code openssl} or {@code jdk}; resolves the provider if nothing did yet. */
    public String provider() {
        return TlsProvider.describe(resolved());
    }

    /** {@code openssl} or {@code jdk}; null while nothing needed the provider yet. */
    public String providerIfResolved() {
        SslProvider p = provider;
        return p == null ? null : TlsProvider.describe(p);
    }

    /** True when the provider is the JDK's. */
    boolean jdk() {
        return resolved() == SslProvider.JDK;
    }

    /** The certificate for a handshake's SNI name (null: none sent); null when none fits and there is no fallback. */
    SslContext select(String sni) {
        return table.select(sni);
    }

    /** The certificates handshakes get now; a committed plan brings a new table (never one changed in place). */
    CertificateTable table() {
        return table;
    }

    /** True when the applied snapshot holds a certificate. */
    public boolean any() {
        return !entries.isEmpty();
    }

    /**
     * Builds what {@code certificates} need that is not built yet, aside.
     *
     * @return the plan; its {@link Plan#problems()} name each certificate that cannot be loaded
     *         (then the caller abandons it and refuses the snapshot)
     */
    public Plan plan(List<Certificate> certificates) {
        Map<String, Entry> current = entries;
        Map<String, Entry> next = new LinkedHashMap<>();
        List<Entry> built = new ArrayList<>();
        List<Problem> problems = new ArrayList<>();
        CertificateTable.Builder table = new CertificateTable.Builder();
        for (int i = 0; i < certificates.size(); i++) {
            Certificate c = certificates.get(i);
            Entry e = current.get(c.id());
            if (e == null || !e.sameBytes(c)) {
                try {
                    e = new Entry(c, TlsContexts.server(c, resolved(), http2));
                    built.add(e);
                } catch (Exception failure) {
                    problems.add(new Problem(null, "certificates[" + i + "]", "certificate " + c.id()
                            + ": cannot load its chain and key with the " + provider() + " TLS provider: "
                            + TlsContexts.describe(failure) + " (expected: a PEM chain, leaf first, and its PKCS#8 key)"));
                    continue;
                }
            }
            e = e.withCertificate(c);
            next.put(c.id(), e);
            for (String name : c.serverNames()) {
                table.add(name, e.context);
            }
            if (c.fallback()) {
                table.fallback(e.context);
            }
        }
        return new Plan(next, built, table.build(), problems);
    }

    /** Publishes the plan's table; releases (after the grace) what left; updates the expiry gauges and logs. */
    public void commit(Plan plan) {
        Map<String, Entry> previous = entries;
        table = plan.table;
        entries = java.util.Collections.unmodifiableMap(plan.entries); // the snapshot's order (by Secret id)
        List<SslContext> gone = new ArrayList<>();
        previous.forEach((id, e) -> {
            Entry kept = plan.entries.get(id);
            if (kept == null || kept.context != e.context) {
                gone.add(e.context);
            }
        });
        if (!gone.isEmpty()) {
            GlobalEventExecutor.INSTANCE.schedule(() -> gone.forEach(ReferenceCountUtil::release), RELEASE_GRACE_SECONDS,
                    TimeUnit.SECONDS);
        }
        for (Entry e : plan.built) {
            LOG.info("event=tls.certificate-loaded secret={} server_names={} fallback={} not_after={} provider={}",
                    e.certificate.id(), e.certificate.serverNames(), e.certificate.fallback(),
                    Instant.ofEpochSecond(e.certificate.notAfterEpochSecond()), provider());
        }
        gauges.keySet().removeIf(id -> {
            if (plan.entries.containsKey(id)) {
                return false;
            }
            registry.remove(gauges.get(id).gauge);
            return true;
        });
        plan.entries.forEach((id, e) -> gauges.computeIfAbsent(id, this::gauge).notAfter = e.certificate.notAfterEpochSecond());
        checkExpiry();
    }

    /** Releases what the plan built; nothing applied changes. */
    public void abandon(Plan plan) {
        plan.built.forEach(e -> ReferenceCountUtil.release(e.context));
    }

    /** Logs {@code event=tls.certificate-expiring} once per certificate version within 14 days of expiry. */
    public void checkExpiry() {
        long now = System.currentTimeMillis() / 1000;
        for (Entry e : entries.values()) {
            long left = e.certificate.notAfterEpochSecond() - now;
            if (left < TimeUnit.DAYS.toSeconds(EXPIRY_WARNING_DAYS) && e.warned.compareAndSet(false, true)) {
                LOG.warn("event=tls.certificate-expiring secret={} days={} not_after={} (renew the Secret's certificate;"
                                + " clients refuse it once expired)", e.certificate.id(), left / 86_400L,
                        Instant.ofEpochSecond(e.certificate.notAfterEpochSecond()));
            }
        }
    }

    /** For {@code /status}: id, server names, fallback and notAfter of each certificate; never a key. */
    public List<Map<String, Object>> describe() {
        List<Map<String, Object>> out = new ArrayList<>();
        entries.values().forEach(e -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("secret", e.certificate.id());
            m.put("serverNames", e.certificate.serverNames());
            m.put("fallback", e.certificate.fallback());
            m.put("notAfter", Instant.ofEpochSecond(e.certificate.notAfterEpochSecond()).toString());
            out.add(m);
        });
        return out;
    }

    /** Releases every context and removes the gauges (the proxy is closing). */
    @Override
    public void close() {
        entries.values().forEach(e -> ReferenceCountUtil.release(e.context));
        entries = Map.of();
        table = CertificateTable.EMPTY;
        gauges.values().forEach(g -> registry.remove(g.gauge));
        gauges.clear();
    }

    private ExpiryGauge gauge(String id) {
        ExpiryGauge g = new ExpiryGauge();
        g.gauge = Gauge.builder("gatehouse.tls.certificate.expiry.seconds", g,
                        x -> x.notAfter - System.currentTimeMillis() / 1000.0)
                .tag("secret", id)
                .description("Seconds until the certificate of the Secret expires (its notAfter); negative once expired")
                .register(registry);
        return g;
    }

    /** The certificates of one snapshot, built aside. */
    public static final class Plan {
        private final Map<String, Entry> entries;
        private final List<Entry> built;
        private final CertificateTable table;
        private final List<Problem> problems;

        private Plan(Map<String, Entry> entries, List<Entry> built, CertificateTable table, List<Problem> problems) {
            this.entries = entries;
            this.built = built;
            this.table = table;
            this.problems = List.copyOf(problems);
        }

        /** Certificates that cannot be loaded; empty when the plan can be committed. */
        public List<Problem> problems() {
            return problems;
        }
    }

    /** One loaded certificate version. */
    private static final class Entry {
        final Certificate certificate;
        final SslContext context;
        /** Shared by every snapshot that keeps this version: its expiry line is written once. */
        final AtomicBoolean warned;

        Entry(Certificate certificate, SslContext context) {
            this(certificate, context, new AtomicBoolean());
        }

        private Entry(Certificate certificate, SslContext context, AtomicBoolean warned) {
            this.certificate = certificate;
            this.context = context;
            this.warned = warned;
        }

        boolean sameBytes(Certificate c) {
            return java.util.Objects.equals(certificate.chainPem(), c.chainPem()) && java.util.Objects.equals(certificate.keyPem(), c.keyPem());
        }

        /** The same loaded context, with the snapshot's names and flags (they may change without new bytes). */
        Entry withCertificate(Certificate c) {
            return c == certificate ? this : new Entry(c, context, warned);
        }
    }

    private static final class ExpiryGauge {
        volatile long notAfter;
        Gauge gauge;
    }
}
