package dev.gatehouse.bench;

import dev.gatehouse.config.Consumer;
import dev.gatehouse.config.KeyDigest;
import dev.gatehouse.config.Route;
import dev.gatehouse.config.Source;
import dev.gatehouse.proxy.auth.Credentials;
import dev.gatehouse.proxy.auth.KeyAuth;
import dev.gatehouse.proxy.auth.QueryParameters;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.ArrayList;
import java.util.List;

/**
 * Key-auth of one request at 10 and 100 000 consumers of the route's namespace: the key in an
 * {@code apikey} header, SHA-256 of it, the digest map lookup and the constant-time compare, as
 * the proxy runs it. Requests cycle through 64 known keys (and every 16th an unknown one, 401).
 */
@State(Scope.Thread)
public class KeyLookupBench {
    @Param({"10", "100000"})
    public int consumers;

    private KeyAuth keyAuth;
    private HttpHeaders[] requests;
    private final QueryParameters query = new QueryParameters("");
    private int next;

    @Setup
    public void setUp() {
        List<Consumer> list = new ArrayList<>(consumers);
        for (int i = 0; i < consumers; i++) {
            list.add(new Consumer("uid-" + i, new Source("Consumer", "bench", "c" + i, "uid-" + i, 1), "c" + i, null,
                    List.of(new Consumer.Credential("cred-" + i, KeyDigest.of(key(i))))));
        }
        keyAuth = new KeyAuth(new Route.KeyAuth(List.of(), true, false, true, null), "bench", Credentials.of(list));
        requests = new HttpHeaders[64];
        for (int j = 0; j < 64; j++) {
            requests[j] = new DefaultHttpHeaders().add("host", "api.example.com")
                    .add("apikey", j % 16 == 15 ? "no-such-key-" + j : key((j * 7919) % consumers));
        }
    }

    private static String key(int i) {
        return "bench-key-" + Integer.toHexString(i * 0x9E3779B1) + "-" + i;
    }

    @Benchmark
    public KeyAuth.Outcome authenticate() {
        return keyAuth.authenticate(requests[next++ & 63], query);
    }
}
