package dev.gatehouse.app;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every command's {@code --help} renders as written: picocli formats each description (a lone
 * {@code %} is a format specifier to it), and one it cannot format is printed raw after a
 * {@code [picocli WARN] Could not format ...} line per option on stderr, which a user sees before the
 * help.
 */
class HelpTextTest {
    @Test
    void everyCommandsHelpRendersWithoutAWarning() {
        List<CommandLine> commands = new ArrayList<>();
        collect(Gatehouse.commandLine(), commands);
        assertThat(commands).hasSizeGreaterThan(3);
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            for (CommandLine cli : commands) {
                String usage = cli.getUsageMessage(CommandLine.Help.Ansi.OFF);
                assertThat(usage).as(cli.getCommandName()).isNotEmpty().doesNotContain("%n");
            }
        } finally {
            System.setErr(err);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8)).as("picocli's warnings while rendering --help").isEmpty();
    }

    @Test
    void theKeepaliveRequestLimitSaysNinetyPercent() {
        CommandLine local = Gatehouse.commandLine().getSubcommands().get("local");
        assertThat(local.getUsageMessage(CommandLine.Help.Ansi.OFF).replaceAll("\\s+", " "))
                .contains("drawn between 90% and all of N");
    }

    private static void collect(CommandLine cli, List<CommandLine> into) {
        into.add(cli);
        cli.getSubcommands().values().forEach(sub -> collect(sub, into));
    }
}
