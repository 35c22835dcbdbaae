package dev.gatehouse.app;

import dev.gatehouse.proxy.Transport;
import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.Command;

/** The single executable: {@code gatehouse <subcommand>}. */
@Command(name = "gatehouse", mixinStandardHelpOptions = true, versionProvider = Gatehouse.Version.class,
        description = "A Kubernetes-native API gateway: services, routes, upstreams and consumers, "
                + "driven by kubectl apply.",
        subcommands = {ControllerCommand.class, ProxyCommand.class, LocalCommand.class, DemoCommand.class, CommandLine.HelpCommand.class})
public final class Gatehouse implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // before anything loads Netty's io_uring classes (the Kubernetes client's Vert.x probes them)
        Transport.configureNetty();
        int code = commandLine().execute(args);
        Shutdown.flushLogs();
        System.exit(code);
    }

    /** The configured command line, also used by tests. */
    public static CommandLine commandLine() {
        return new CommandLine(new Gatehouse()).setCaseInsensitiveEnumValuesAllowed(true);
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
