package dev.gatehouse.proxy.http;

import dev.gatehouse.proxy.ClientLimits;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The client request's header-name check skips only the proxy's own constants, which Netty's check passes anyway. */
class OwnHeaderNamesTest {
    private final HttpHeaders headers = StrictRequestDecoder.config(ClientLimits.DEFAULTS).getHeadersFactory().newHeaders();

    @Test
    void everyOwnNameIsOneNettysStrictCheckPasses() {
        var strict = DefaultHttpHeadersFactory.headersFactory().getNameValidator();
        for (AsciiString own : OwnHeaderNames.NAMES) {
            strict.validateName(own); // throws for an invalid token: skipping it changes nothing
            headers.set(own, "v");
        }
        assertThat(headers.size()).isEqualTo(OwnHeaderNames.NAMES.length);
    }

    @Test
    void aNameEqualToAnOwnOneButNotItIsStillChecked() {
        AsciiString lookalike = new AsciiString("x-forwarded-for");
        assertThat(OwnHeaderNames.isOwn(lookalike)).isFalse();
        headers.set(lookalike, "v");
        assertThatThrownBy(() -> headers.set(new AsciiString("bad name"), "v")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> headers.add("x-forwarded-for\u0000", "v")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> headers.add("", "v")).isInstanceOf(IllegalArgumentException.class);
    }
}
