package dev.gatehouse.app;

import dev.gatehouse.proxy.TransportChoice;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code --transport} on every command that runs a proxy: {@code auto} by default, each
 * transport by its name into the proxy's config, and a name that is none refused as a usage
 * error naming the flag and the accepted values.
 */
class TransportOptionsTest {
    private final StringWriter err = new StringWriter();

    private ProxyOptions parse(String... args) {
        return ProxyFlags.parse(err, args);
    }


    private static final String[][] COMMANDS = {{"local", "--dir", "d"}, {"demo"},
            {"proxy", "--controller", "ws://c:18000", "--token-file", "t"}};

    @Test
    void autoByDefaultAndEachTransportByNameOnEveryCommand() {
        for (String[] args : COMMANDS) {
            assertThat(parse(args).config().transport()).as(args[0]).isEqualTo(TransportChoice.AUTO);
            for (TransportChoice choice : TransportChoice.values()) {
                String[] with = java.util.Arrays.copyOf(args, args.length + 2);
                with[args.length] = "--transport";
                with[args.length + 1] = choice.flag();
                assertThat(parse(with).config().transport()).as(String.join(" ", with)).isEqualTo(choice);
                assertThat(parse(with).localConfig().transport()).as(String.join(" ", with)).isEqualTo(choice);
            }
        }
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void aNameThatIsNoTransportIsAUsageErrorNamingTheFlag() {
        assertThatThrownBy(() -> parse("local", "--dir", "d", "--transport", "kqueue"))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--transport")
                .hasMessageContaining("kqueue (expected: auto, io_uring, epoll or nio)");
    }
}
