package dev.gatehouse.app;

import dev.gatehouse.proxy.Transport;
import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;
import picocli.CommandLine.Command;

/** The single executable: {@code gatehouse <subcommand>}. */
@Command(name = "gatehouse", mixinStandardHelpOptions = true, versionProvider = Gatehouse.Version.class,
        description = "A Kubernetes-native API gateway: services, routes, upstreams and consumers, "
                + "driven by kubectl apply.")
public final class Gatehouse implements Runnable {
    /** The subcommands, in the order the usage lists them (then {@code help}). */
    private static final Map<String, Supplier<Object>> SUBCOMMANDS = subcommands();
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // before anything loads Netty's io_uring classes (the Kubernetes client's Vert.x probes them)
        Transport.configureNetty();
        int code = commandLine(args.length == 0 ? null : args[0]).execute(args);
        Shutdown.flushLogs();
        System.exit(code);
    }

    /** The configured command line with every subcommand, also used by tests. */
    public static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * The configured command line for arguments that start with {@code first}: with only that
     * subcommand when {@code first} names one, else with all of them (for help, the version, and a
     * mistyped name's suggestions). picocli builds a subcommand's model by reflection on its
     * options when it is registered: building the three that a start does not run cost every start
     * about 35 ms (docs/benchmarks.md, "Startup and memory").
     */
    static CommandLine commandLine(String first) {
        CommandLine line = new CommandLine(new Gatehouse());
        Supplier<Object> only = first == null ? null : SUBCOMMANDS.get(first);
        if (only != null) {
            line.addSubcommand(first, only.get());
        } else {
            SUBCOMMANDS.forEach((name, command) -> line.addSubcommand(name, command.get()));
        }
        line.addSubcommand("help", new CommandLine.HelpCommand());
        // after the subcommands: the setting reaches those registered when it is made
        return line.setCaseInsensitiveEnumValuesAllowed(true);
    }

    private static Map<String, Supplier<Object>> subcommands() {
        Map<String, Supplier<Object>> m = new LinkedHashMap<>();
        m.put("controller", ControllerCommand::new);
        m.put("proxy", ProxyCommand::new);
        m.put("local", LocalCommand::new);
        m.put("demo", DemoCommand::new);
        return Collections.unmodifiableMap(m);
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getErr());
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }

    /** The build's version (the Maven project version, written into {@code version.properties} at build time). */
    static final class Version implements CommandLine.IVersionProvider {
        static String version() {
            Properties p = new Properties();
            try (InputStream in = Gatehouse.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (IOException e) {
                // unreadable resource: reported as unknown below
            }
            return p.getProperty("version", "unknown");
        }

        @Override
        public String[] getVersion() {
            return new String[] {"gatehouse " + version()};
        }
    }
}
