package dev.gatehouse.app;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;

/** The proxy's options of a command line of {@code proxy}, {@code local} or {@code demo}, parsed as {@code gatehouse} parses it. */
final class ProxyFlags {
    private ProxyFlags() {
    }

    /** Parses {@code args}, what the parser writes to its error stream (deprecation notes) going to {@code err}. */
    static ProxyOptions parse(Writer err, String... args) {
        CommandLine cli = Gatehouse.commandLine();
        cli.setErr(new PrintWriter(err, true));
        Object command = cli.parseArgs(args).subcommand().commandSpec().userObject();
        if (command instanceof LocalCommand local) {
            return local.proxy;
        }
        if (command instanceof DemoCommand demo) {
            return demo.proxy;
        }
        return ((ProxyCommand) command).options;
    }

    /** As {@link #parse(Writer, String...)}, the error stream dropped. */
    static ProxyOptions parse(String... args) {
        return parse(new StringWriter(), args);
    }
}
