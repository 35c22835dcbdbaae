package dev.gatehouse.proxy.http;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;

/** The client-address rule as a table: trusted blocks, peer, X-Forwarded-For lines → client and X-Forwarded-For upstream. */
class ForwardedForTest {

    /** X-Forwarded-For field lines are separated by ';' in the table; '-' for none. */
    @ParameterizedTest(name = "[{index}] trusted {0}, peer {1}, XFF {2} -> {3}")
    @CsvSource(delimiter = '|', textBlock = """
            ''          | 203.0.113.7 | 1.2.3.4                        | 203.0.113.7:40000 | 203.0.113.7                                | false
            ''          | 203.0.113.7 | -                              | 203.0.113.7:40000 | 203.0.113.7                                | false
            10.0.0.0/8  | 192.0.2.1   | 203.0.113.7                    | 192.0.2.1:40000   | 192.0.2.1                                  | false
            10.0.0.0/8  | 10.0.0.9    | 203.0.113.7                    | 203.0.113.7       | 203.0.113.7, 10.0.0.9                      | true
            10.0.0.0/8  | 10.0.0.9    | 1.2.3.4, 203.0.113.7           | 203.0.113.7       | 1.2.3.4, 203.0.113.7, 10.0.0.9             | true
            10.0.0.0/8  | 10.0.0.9    | 203.0.113.7, 10.0.0.5          | 203.0.113.7       | 203.0.113.7, 10.0.0.5, 10.0.0.9            | true
            10.0.0.0/8  | 10.0.0.9    | 10.0.0.4, 10.0.0.5             | 10.0.0.4          | 10.0.0.4, 10.0.0.5, 10.0.0.9               | true
            10.0.0.0/8  | 10.0.0.9    | 1.2.3.4;203.0.113.7            | 203.0.113.7       | 1.2.3.4, 203.0.113.7, 10.0.0.9             | true
            10.0.0.0/8  | 10.0.0.9    | 203.0.113.7;10.0.0.5           | 203.0.113.7       | 203.0.113.7, 10.0.0.5, 10.0.0.9            | true
            10.0.0.0/8  | 10.0.0.9    | 203.0.113.7:51544              | 203.0.113.7       | 203.0.113.7:51544, 10.0.0.9                | true
            10.0.0.0/8  | 10.0.0.9    | [2001:db8::7]:443              | 2001:db8::7       | [2001:db8::7]:443, 10.0.0.9                | true
            10.0.0.0/8  | 10.0.0.9    | [2001:db8::7]                  | 2001:db8::7       | [2001:db8::7], 10.0.0.9                    | true
            10.0.0.0/8  | 10.0.0.9    | 2001:db8::7                    | 2001:db8::7       | 2001:db8::7, 10.0.0.9                      | true
            10.0.0.0/8  | 10.0.0.9    | 203.0.113.7, unknown, 10.0.0.5 | 10.0.0.5          | 203.0.113.7, unknown, 10.0.0.5, 10.0.0.9   | true
            10.0.0.0/8  | 10.0.0.9    | unknown                        | 10.0.0.9:40000    | unknown, 10.0.0.9                          | true
            10.0.0.0/8  | 10.0.0.9    | 203.0.113.7,, 	,              | 203.0.113.7       | 203.0.113.7,, 	,, 10.0.0.9                  | true
            10.0.0.0/8  | 10.0.0.9    | -                              | 10.0.0.9:40000    | 10.0.0.9                                   | true
            ::1/128     | ::1         | 203.0.113.7                    | 203.0.113.7       | 203.0.113.7, ::1                           | true
            ::1/128     | 127.0.0.1   | 203.0.113.7                    | 127.0.0.1:40000   | 127.0.0.1                                  | false
            """)
    void resolves(String trusted, String peer, String xff, String client, String forwardedUpstream, boolean peerTrusted) {
        HttpHeaders h = new DefaultHttpHeaders();
        if (!xff.equals("-")) {
            for (String line : xff.split(";")) {
                h.add("X-Forwarded-For", line);
            }
        }
        ClientAddress c = ForwardedFor.of(TrustedProxies.parse(trusted), new InetSocketAddress(peer, 40000)).resolve(h);
        assertThat(c).hasToString(client);
        assertThat(c.forwardedFor()).isEqualTo(forwardedUpstream);
        assertThat(c.peerTrusted()).isEqualTo(peerTrusted);
        assertThat(c.trustedPeer()).isEqualTo(peerTrusted ? (peer.contains(":") ? "[" + peer + "]:40000" : peer + ":40000") : null);
    }

    @Test
    void anUntrustedPeerCostsNothingPerRequest() {
        ForwardedFor rule = ForwardedFor.of(TrustedProxies.parse("10.0.0.0/8"), new InetSocketAddress("192.0.2.1", 1));
        HttpHeaders h = new DefaultHttpHeaders().add("X-Forwarded-For", "203.0.113.7");
        assertThat(rule.resolve(h)).isSameAs(rule.resolve(new DefaultHttpHeaders())).isSameAs(rule.peer());
    }

    /** Connections from one address share its text; another address in between gets its own, then the first again. */
    @Test
    void peersInTurnEachGetTheirOwnAddressText() {
        TrustedProxies none = TrustedProxies.parse("");
        String[] peers = {"203.0.113.7", "203.0.113.7", "2001:db8::7", "::ffff:203.0.113.8", "203.0.113.8", "2001:db8::7", "203.0.113.7"};
        String[] expected = {"203.0.113.7", "203.0.113.7", "2001:db8::7", "203.0.113.8", "203.0.113.8", "2001:db8::7", "203.0.113.7"};
        ClientAddress previous = null;
        for (int i = 0; i < peers.length; i++) {
            ClientAddress c = ForwardedFor.of(none, new InetSocketAddress(peers[i], 40000 + i)).peer();
            assertThat(c.ip()).as(peers[i]).isEqualTo(expected[i]);
            assertThat(c.forwardedFor()).as(peers[i]).isEqualTo(expected[i]);
            assertThat(c.port()).isEqualTo(40000 + i);
            assertThat(c.trustedPeer()).isNull();
            if (previous != null && previous.ip().equals(c.ip())) {
                assertThat(c.ip()).as("the same address's text, shared").isSameAs(previous.ip());
            }
            previous = c;
        }
    }

    @Test
    void aPeerWithoutAnIpAddressIsUnknown() {
        ClientAddress c = ForwardedFor.of(TrustedProxies.parse("0.0.0.0/0"), null).resolve(new DefaultHttpHeaders());
        assertThat(c.known()).isFalse();
        assertThat(c.ip()).isEqualTo("unknown");
        assertThat(c.forwardedFor()).isEqualTo("unknown");
        assertThat(c.peerTrusted()).isFalse();
    }
}
