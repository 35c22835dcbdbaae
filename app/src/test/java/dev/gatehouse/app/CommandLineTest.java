package dev.gatehouse.app;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line a start builds: the subcommand it runs alone, or every one when the first argument names none. */
class CommandLineTest {
    @Test
    void everySubcommandInTheUsagesOrderWhenTheFirstArgumentNamesNone() {
        for (String first : new String[] {null, "--help", "--version", "help", "lcal"}) {
            assertThat(Gatehouse.commandLine(first).getSubcommands().keySet()).as(first)
                    .containsExactly("controller", "proxy", "local", "demo", "help");
        }
        assertThat(Gatehouse.commandLine().getUsageMessage(CommandLine.Help.Ansi.OFF))
                .containsSubsequence("controller", "proxy", "local", "demo", "help");
    }

    @Test
    void onlyTheSubcommandAStartRunsWithTheSameOptionsAndSettings() {
        for (String name : new String[] {"controller", "proxy", "local", "demo"}) {
            CommandLine line = Gatehouse.commandLine(name);
            assertThat(line.getSubcommands().keySet()).as(name).containsExactly(name, "help");
            CommandLine alone = line.getSubcommands().get(name);
            CommandLine full = Gatehouse.commandLine().getSubcommands().get(name);
            assertThat(alone.getCommandSpec().optionsMap().keySet()).as(name)
                    .isEqualTo(full.getCommandSpec().optionsMap().keySet());
            assertThat(alone.isCaseInsensitiveEnumValuesAllowed()).as(name + ": enum values in any case").isTrue();
            assertThat(alone.getCommand().getClass().getAnnotation(CommandLine.Command.class).name())
                    .as("registered under the name its own @Command gives").isEqualTo(name);
        }
    }

    @Test
    void aMistypedSubcommandIsNamedWithTheOneMeant() {
        CommandLine line = Gatehouse.commandLine("lcal");
        java.io.StringWriter err = new java.io.StringWriter();
        line.setErr(new java.io.PrintWriter(err));
        assertThat(line.execute("lcal")).isEqualTo(2);
        assertThat(err.toString()).contains("lcal").contains("local");
    }
}
