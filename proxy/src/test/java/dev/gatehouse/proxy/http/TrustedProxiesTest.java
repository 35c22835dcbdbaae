package dev.gatehouse.proxy.http;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** CIDR matching of {@code --trusted-proxies}, and the address parser under it, as tables. */
class TrustedProxiesTest {

    @ParameterizedTest(name = "{0} contains {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            10.0.0.0/8                          | 10.0.0.0          | true
            10.0.0.0/8                          | 10.255.1.2        | true
            10.0.0.0/8                          | 11.0.0.1          | false
            10.0.0.0/8                          | 9.255.255.255     | false
            192.168.1.7/32                      | 192.168.1.7       | true
            192.168.1.7/32                      | 192.168.1.6       | false
            192.168.1.7                         | 192.168.1.7       | true
            192.168.1.7                         | 192.168.1.8       | false
            172.16.0.0/12                       | 172.31.255.255    | true
            172.16.0.0/12                       | 172.32.0.0        | false
            0.0.0.0/0                           | 8.8.8.8           | true
            0.0.0.0/0                           | 255.255.255.255   | true
            0.0.0.0/0                           | 2001:db8::1       | false
            0.0.0.0/0                           | ::                | false
            ::/0                                | 2001:db8::1       | true
            ::/0                                | 203.0.113.7       | true
            2001:db8::/32                       | 2001:db8:ffff::1  | true
            2001:db8::/32                       | 2001:db9::1       | false
            2001:db8::1/128                     | 2001:db8::1       | true
            2001:db8::1/128                     | 2001:db8::2       | false
            2001:db8::1                         | 2001:db8::1       | true
            fd00::/8                            | fdff::1           | true
            fd00::/8                            | fe00::1           | false
            2001:db8:0:1::/64                   | 2001:db8:0:1:ffff:ffff:ffff:ffff | true
            2001:db8:0:1::/64                   | 2001:db8:0:2::                   | false
            2001:db8::/65                       | 2001:db8::7fff:ffff:ffff:ffff    | true
            2001:db8::/65                       | 2001:db8::8000:0:0:0             | false
            ::1/128                             | ::1               | true
            ::1/128                             | 127.0.0.1         | false
            127.0.0.0/8                         | 127.0.0.1         | true
            127.0.0.0/8                         | ::1               | false
            ::ffff:10.0.0.0/104                 | 10.1.2.3          | true
            10.0.0.0/8                          | ::ffff:10.1.2.3   | true
            10.0.0.0/8, 172.16.0.0/12 ,fd00::/8 | 172.20.0.1        | true
            10.0.0.0/8, 172.16.0.0/12 ,fd00::/8 | fd12::1           | true
            10.0.0.0/8, 172.16.0.0/12 ,fd00::/8 | 192.168.0.1       | false
            ' '                                 | 10.0.0.1          | false
            """)
    void matches(String blocks, String address, boolean expected) throws Exception {
        TrustedProxies trusted = TrustedProxies.parse(blocks);
        long[] bits = new long[2];
        assertThat(IpAddress.parse(address, 0, address.length(), bits)).as("parses " + address).isTrue();
        assertThat(trusted.contains(bits[0], bits[1])).isEqualTo(expected);
        assertThat(trusted.contains(InetAddress.getByName(address))).as("as an InetAddress").isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', textBlock = """
            10.0.0.0/33       | prefix length 33 (expected: 0..32 for an IPv4 block)
            2001:db8::/129    | prefix length 129 (expected: 0..128 for an IPv6 block)
            10.0.0.0/         | prefix length '' (expected: 0..32 for an IPv4 block)
            10.0.0.0/-1       | prefix length '-1' (expected: 0..32
            10.0.0.0/8x       | prefix length '8x'
            10.0.0.0/0008     | prefix length '0008'
            10.1.2.3/8        | host bits set under the /8 prefix (expected: the block's first address
            2001:db8::1/32    | host bits set under the /32 prefix
            example.com       | not an IP address or CIDR block (expected: e.g. 10.0.0.0/8
            10.0.0/8          | not an IP address
            256.0.0.0/8       | not an IP address
            010.0.0.0/8       | not an IP address
            /8                | not an IP address
            fe80::1%eth0      | not an IP address
            1:2:3:4:5:6:7:8:9 | not an IP address
            1::2::3           | not an IP address
            [::1]             | not an IP address
            """)
    void refusesWithTheFlagTheEntryAndTheFix(String entry, String message) {
        assertThatThrownBy(() -> TrustedProxies.parse("10.0.0.0/8," + entry))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("--trusted-proxies: '" + entry + "': ")
                .hasMessageContaining(message);
    }

    /** Valid text parses to exactly the bits the JDK reads from it. */
    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "1.2.3.4", "255.255.255.255", "::", "::1", "1::", "1:2:3:4:5:6:7:8", "2001:db8::8a2e:370:7334",
            "2001:DB8:0:0:1:0:0:1", "fe80::1:2", "::ffff:1.2.3.4", "1:2:3:4:5:6:1.2.3.4", "::1.2.3.4", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
            "1:0:0:0:0:0:0:0", "0:0:0:0:0:0:0:1", "a::b:c"})
    void parsesWhatTheJdkParses(String text) throws Exception {
        long[] bits = new long[2];
        long[] jdk = new long[2];
        assertThat(IpAddress.parse("<" + text + ">", 1, text.length() + 1, bits)).isTrue();
        IpAddress.of(InetAddress.getByName(text), jdk);
        assertThat(bits).containsExactly(jdk);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1.2.3", "1.2.3.4.5", "1.2.3.", ".1.2.3", "1..2.3", "1.2.3.256", "01.2.3.4", "1.2.3.4a", "1.2.3.1234",
            ":", ":::", "1:", ":1", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "g::", "::1.2.3", "1.2.3.4::",
            "::1.2.3.4:5", "1:2:3:4:5:6:7:1.2.3.4", "::%1", "unknown", "\uff11.2.3.4", "1:2:3:4:5:6:7::8", "1:2:3:4:5:6:7:8::"})
    void refusesWhatIsNotAnAddress(String text) {
        assertThat(IpAddress.parse(text, 0, text.length(), new long[2])).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", " , ,"})
    void anEmptyListTrustsNobody(String list) {
        assertThat(TrustedProxies.parse(list).isEmpty()).isTrue();
        assertThat(TrustedProxies.parse(list)).hasToString("none");
    }
}
