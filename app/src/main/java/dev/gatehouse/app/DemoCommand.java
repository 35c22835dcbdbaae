package dev.gatehouse.app;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code gatehouse demo}: the walkthrough on one machine, with its two replicas built in. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run the Kong load-balancing walkthrough: two built-in replicas on 9001 and 9002 that behave like "
                + "the walkthrough's OpenResty services, Gatehouse in local mode on examples/seed, and the curl commands to try."})
public final class DemoCommand implements Callable<Integer> {
    /** The key of examples/seed (Secret moesif-key). */
    static final String DEMO_KEY = "my-secret-key";

    @Spec
    CommandSpec spec;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = "examples/seed",
            description = "The walkthrough's objects. Default: ${DEFAULT-VALUE}.")
    Path dir;

    @Option(names = "--backend-ports", paramLabel = "PORT", split = ",", defaultValue = "9001,9002",
            description = "Ports of the built-in replicas (the seed's Upstream targets). Default: ${DEFAULT-VALUE}.")
    List<Integer> backendPorts;

    @Mixin
    LocalCertificateOption defaultCertificate;

    @Mixin
    ProxyOptions proxy;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        String fallback = defaultCertificate.value();
        dir = resolveDir(dir, System.getenv("GATEHOUSE_HOME"));
        if (!Files.isDirectory(dir)) {
            spec.commandLine().getErr().println("gatehouse demo: " + dir + " is not a directory (expected: run it from the "
                    + "repository root, or give --dir with the path of examples/seed)");
            return 2;
        }
        List<DemoBackend> backends = new ArrayList<>();
        try (Shutdown shutdown = Shutdown.register(proxy.shutdownBudget())) {
            for (int i = 0; i < backendPorts.size(); i++) {
                int port = backendPorts.get(i);
                try {
                    backends.add(DemoBackend.start("127.0.0.1", port, "replica-" + (i + 1) + " (port " + port + ")"));
                } catch (java.net.BindException e) {
                    spec.commandLine().getErr().println("gatehouse demo: port " + port + " of replica-" + (i + 1)
                            + " is taken (the seed's Upstream targets 127.0.0.1:9001 and :9002; stop what holds it, "
                            + "e.g. a demo still running: ss -ltnp 'sport = :" + port + "')");
                    spec.commandLine().getErr().flush();
                    return 1;
                }
            }
            LocalRuntime runtime;
            try {
                runtime = LocalRuntime.start(dir, proxy.localConfig(), proxy.statusAddresses(LocalRuntime.STATUS_ADDRESS), proxy.statusPort,
                        proxy.accessLog, fallback);
            } catch (java.io.IOException | IllegalStateException e) { // a port that cannot open
                spec.commandLine().getErr().println("gatehouse demo: " + e.getMessage());
                spec.commandLine().getErr().flush();
                return 1;
            }
            // the walkthrough only once the port is open and serves the seed
            try (runtime; ProcessMeters jvm = ProcessMeters.bind(runtime.proxy().metrics().registry())) {
                shutdown.onSignal(runtime.proxy()::startDraining);
                printWalkthrough(out, runtime.port(), runtime.statusPort(), backends);
                if (runtime.proxy().tlsListening()) {
                    out.println("TLS on https://localhost:" + runtime.proxy().tlsPort() + "/ for the hosts of the directory's "
                            + "TLS routes (docs/tls.md)");
                    out.flush();
                }
                shutdown.await();
            }
        } finally {
            backends.forEach(DemoBackend::close);
        }
        return 0;
    }

    /**
     * A relative {@code --dir} that is not a directory here is looked up under the checkout the
     * {@code ./gatehouse} script runs from ({@code GATEHOUSE_HOME}), so the demo starts from any
     * working directory.
     */
    static Path resolveDir(Path dir, String home) {
        if (Files.isDirectory(dir) || dir.isAbsolute() || home == null || home.isBlank()) {
            return dir;
        }
        Path underHome = Path.of(home).resolve(dir);
        return Files.isDirectory(underHome) ? underHome : dir;
    }

    static void printWalkthrough(PrintWriter out, int port, int statusPort, List<DemoBackend> backends) {
        String base = "http://localhost:" + port;
        out.println();
        out.println("Gatehouse demo: the Kong load-balancing walkthrough, declaratively (examples/seed).");
        for (DemoBackend b : backends) {
            out.println("  replica  " + b.name() + ": curl -i http://localhost:" + b.port() + "/");
        }
        out.println("  proxy    " + base + "     status http://localhost:" + statusPort + "/status");
        out.println();
        out.println("# 1. Load-balanced: run it twice, X-Served-By alternates between the replicas");
        out.println("curl -i " + base + "/");
        out.println("# 2. /profile needs a key: 401 without one, 401 with a wrong one");
        out.println("curl -i " + base + "/profile");
        out.println("curl -i " + base + "/profile -H 'apikey: wrong-key'");
        out.println("# 3. With the consumer's key: 200, and the replica sees the consumer's id in X-Consumer-ID");
        out.println("curl -i " + base + "/profile -H 'apikey: " + DEMO_KEY + "'");
        out.println("# 4. A client cannot pretend to be a consumer: its X-Consumer-ID is dropped, the replica sees the real one");
        out.println("curl -i " + base + "/profile -H 'apikey: " + DEMO_KEY + "' -H 'X-Consumer-ID: admin'");
        out.println("# 5. Edit examples/seed/seed.yaml (say, weight: 0 on one target): applied within a second");
        out.println();
        out.println("Ctrl-C stops it (in-flight requests finish).");
        out.flush();
    }
}
