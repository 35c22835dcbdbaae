package dev.gatehouse.app;

import dev.gatehouse.controller.files.LocalDirectory;
import dev.gatehouse.controller.files.ManifestReader;
import dev.gatehouse.controller.translate.DefaultCertificate;
import dev.gatehouse.controller.translate.IngressSelection;
import dev.gatehouse.controller.translate.ObjectStatus;
import dev.gatehouse.controller.translate.TlsSettings;
import dev.gatehouse.controller.translate.Translation;
import dev.gatehouse.controller.translate.Translator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;

/** {@code gatehouse local}: no cluster; the YAML you would {@code kubectl apply}, read from a directory. */
@Command(name = "local", mixinStandardHelpOptions = true,
        description = {"Run Gatehouse without a cluster on the YAML files of a directory "
                + "(GatewayService, GatewayRoute, Upstream, Consumer, Secret), as kubectl apply -f DIR would read them.",
                "Binds --port before anything else and accepts on it once the directory's first snapshot is applied (a "
                        + "connection made meanwhile waits; nothing is answered before it knows its routes), "
                        + "then prints where it serves. Reloads the directory within a second of a change, without dropping a "
                        + "connection; an invalid file or object is reported and skipped while the rest keeps serving.",
                "With --check: translate once, print what is accepted and every refused object as "
                        + "'file: Kind/namespace/name: field: message'; exit 0 only if every object is accepted with every "
                        + "reference resolved, 1 when anything is refused or unresolved, 2 for a usage error."})
public final class LocalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "Directory of YAML files.")
    Path dir;

    @Option(names = "--check", description = "Check the directory and exit; serve nothing.")
    boolean check;

    @Option(names = "--first-snapshot-timeout", paramLabel = "DURATION", defaultValue = "5m",
            converter = ProxyOptions.DurationOption.class,
            description = "How long to wait for the directory's first snapshot to be read, translated and applied before "
                    + "giving up (exit 1); progress is logged every 5 s meanwhile. A refused first snapshot ends the wait "
                    + "within 5 s. Default: ${DEFAULT-VALUE}.")
    java.time.Duration firstSnapshotTimeout;

    @Option(names = "--settle", paramLabel = "DURATION", defaultValue = "25ms", converter = ProxyOptions.DurationOption.class,
            description = "How long the directory must stay the same after a change before it is read, so a file caught "
                    + "mid-write is not served; each write meanwhile starts the wait again (counted: "
                    + "gatehouse_local_settle_restarts_total). Raise it for a writer that pauses mid-file; an atomic rename "
                    + "never needs it. 0ms..10s. Default: ${DEFAULT-VALUE}.")
    java.time.Duration settle;

    @picocli.CommandLine.Mixin
    LocalCertificateOption defaultCertificate;

    @picocli.CommandLine.Mixin
    ProxyOptions proxy;

    @Override
    public Integer call() throws IOException, InterruptedException {
        String fallback = defaultCertificate.value();
        if (check) {
            try {
                return check(dir, fallback, spec.commandLine().getOut(), spec.commandLine().getErr());
            } catch (IOException e) { // --dir names no readable directory: a usage error, said in one line
                spec.commandLine().getErr().println("gatehouse local --check: --dir: " + e.getMessage());
                spec.commandLine().getErr().flush();
                return 2;
            }
        }
        try {
            LocalRuntime.requirePositive(firstSnapshotTimeout);
            if (settle.isNegative() || settle.compareTo(dev.gatehouse.controller.files.LocalSource.MAX_SETTLE) > 0) {
                throw new IllegalArgumentException("--settle: " + settle.toMillis() + "ms (expected: 0ms..10s)");
            }
        } catch (IllegalArgumentException e) { // a usage error
            spec.commandLine().getErr().println("gatehouse local: " + e.getMessage());
            spec.commandLine().getErr().flush();
            return 2;
        }
        try (Shutdown shutdown = Shutdown.register(proxy.shutdownBudget())) {
            LocalRuntime runtime;
            try {
                runtime = LocalRuntime.start(dir, proxy.localConfig(), proxy.statusAddresses(LocalRuntime.STATUS_ADDRESS), proxy.statusPort,
                        proxy.accessLog, fallback, firstSnapshotTimeout, settle);
            } catch (IOException | IllegalStateException e) { // a port that cannot open, a slow or refused first snapshot
                spec.commandLine().getErr().println("gatehouse local: " + e.getMessage());
                spec.commandLine().getErr().flush();
                return 1;
            }
            // the banner only once the port is open and serves the directory's first snapshot
            try (runtime; ProcessMeters jvm = ProcessMeters.bind(runtime.proxy().metrics().registry())) {
                shutdown.onSignal(runtime.proxy()::startDraining);
                spec.commandLine().getOut().printf("Gatehouse serves %s on %s:%d%s (status on %s:%d). Ctrl-C stops it.%n",
                        dir, proxy.address, runtime.port(),
                        runtime.proxy().tlsListening() ? " and TLS on " + runtime.proxy().tlsPort() : "",
                        String.join(",", proxy.statusAddresses(LocalRuntime.STATUS_ADDRESS)), runtime.statusPort());
                spec.commandLine().getOut().flush();
                shutdown.await();
            }
        }
        return 0;
    }

    /**
     * Reads and translates DIR; prints accepted objects on {@code out} and problems on {@code err}.
     *
     * @return 0 when every object is accepted with every reference resolved, 1 otherwise
     */
    static int check(Path dir, PrintWriter out, PrintWriter err) throws IOException {
        return check(dir, null, out, err);
    }

    /**
     * As {@link #check(Path, PrintWriter, PrintWriter)}, with the {@value TlsSettings#FLAG}: its Secret is
     * checked as the controller checks it, and a problem with it counts.
     */
    static int check(Path dir, String defaultCertificate, PrintWriter out, PrintWriter err) throws IOException {
        LocalDirectory local = LocalDirectory.read(dir);
        Translation t = Translator.translate(ManifestReader.state(local.objectsAsServed()), IngressSelection.DEFAULT,
                new TlsSettings(defaultCertificate, Instant.now()));
        int problems = local.errors().size();
        for (ManifestReader.FileError e : local.errors()) {
            err.println(e);
        }
        DefaultCertificate fallback = t.defaultCertificate();
        if (fallback != null && fallback.message() != null) {
            err.println(fallback.message());
            if (!fallback.served()) {
                problems++;
            }
        }
        for (ObjectStatus s : t.statuses()) {
            String id = s.source().display();
            if (s.problems().isEmpty()) {
                out.println("accepted: " + id + (s.targets() == null ? "" : " (" + count(s.targets(), "target") + ")")
                        + (s.keys() == null ? "" : " (" + count(s.keys(), "key") + ")"));
            } else {
                String file = local.fileOf().getOrDefault(id, "?");
                for (String p : s.problems()) {
                    err.println(file + ": " + id + ": " + p);
                    problems++;
                }
            }
        }
        for (String id : t.gatewayApi().accepted()) {
            out.println("accepted: " + id);
        }
        for (String p : t.gatewayApi().problems()) {
            String id = p.substring(0, p.indexOf(':'));
            String object = id.contains(" ") ? id.substring(0, id.indexOf(' ')) : id;
            err.println(local.fileOf().getOrDefault(object, "?") + ": " + p);
            problems++;
        }
        for (String skipped : local.skipped()) {
            out.println("skipped: " + skipped + " (not a kind Gatehouse reads)");
        }
        long notRead = local.errors().stream()
                .filter(e -> !"(file)".equals(e.object()) && !e.message().startsWith("already defined")).count();
        out.println(count(local.objects().size(), "object") + " in " + count(local.files().size(), "file")
                + (notRead == 0 ? "" : ", " + notRead + " more could not be read") + ": "
                + count(t.snapshot().routes().size(), "route") + ", " + count(t.snapshot().services().size(), "service") + ", "
                + count(t.snapshot().upstreams().size(), "upstream") + ", " + count(t.snapshot().consumers().size(), "consumer")
                + ", " + count(t.snapshot().certificates().size(), "certificate") + " in the snapshot; "
                + count(problems, "problem"));
        out.flush();
        err.flush();
        return problems == 0 ? 0 : 1;
    }

    /** "1 route", "2 routes". */
    static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
