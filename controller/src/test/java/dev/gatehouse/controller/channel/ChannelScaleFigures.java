package dev.gatehouse.controller.channel;

import dev.gatehouse.config.ContentHash;
import dev.gatehouse.config.Snapshot;
import dev.gatehouse.config.channel.ChannelCodec;
import dev.gatehouse.config.channel.ChannelMessage;
import dev.gatehouse.config.channel.ObjectDelta;
import dev.gatehouse.config.channel.ObjectDiff;
import dev.gatehouse.config.channel.SnapshotPush;
import dev.gatehouse.proxy.ProxyConfig;
import dev.gatehouse.proxy.ProxyServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Duration;
import java.util.List;

/**
 * Single-process figures for one route edit at the full size (10 000 routes, 5 000
 * services, 2 000 upstreams with 50 000 targets, 10 000 consumers): before (whole snapshot,
 * whole-document hash) and after (object delta, per-object hash). Upper bounds: one JVM, shared
 * cores, no warm-up beyond {@value #ROUNDS} rounds; prints the median of the rounds, as CPU time
 * of the measuring thread (less sensitive to a loaded machine) and as wall time. Not a test.
 *
 * <p>Run: {@code java -cp <controller test classpath> dev.gatehouse.controller.channel.ChannelScaleFigures [scale]}
 * where scale 1 is full size, 5 is 1/5.
 */
public final class ChannelScaleFigures {
    static final int ROUNDS = 7;
    private static final java.lang.management.ThreadMXBean CPU = java.lang.management.ManagementFactory.getThreadMXBean();

    public static void main(String[] args) {
        int div = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        Snapshot base = ScaleSnapshots.of(1, 5_000 / div, 10_000 / div, 2_000 / div, 50_000 / div, 10_000 / div);
        System.out.printf("load average at start: %s%n", loadAverage());
        ProxyServer proxy = ProxyServer.start(new ProxyConfig("127.0.0.1", 0, 1, Duration.ofSeconds(1)), new SimpleMeterRegistry());
        try {
            long t0 = System.nanoTime();
            ContentHash.Digests baseDigests = ContentHash.of(base, null);
            System.out.printf("base: whole per-object hash %.1f ms%n", ms(t0));
            byte[] baseFrame = ChannelCodec.encode(new SnapshotPush(ChannelMessage.PROTOCOL, 1, baseDigests.hash(), null, base));
            if (!proxy.apply(((SnapshotPush) ChannelCodec.decode(baseFrame)).snapshot()).isEmpty()) {
                throw new IllegalStateException("base refused");
            }
            Snapshot served = proxy.current();
            ContentHash.Digests servedDigests = ContentHash.of(served, null);
            long[][] before = new long[ROUNDS][];
            long[][] after = new long[ROUNDS][];
            long[][] beforeCpu = new long[ROUNDS][];
            long[][] afterCpu = new long[ROUNDS][];
            long version = 1;
            Snapshot controllerPrev = base;
            ContentHash.Digests controllerDigests = baseDigests;
            int frameBytes = 0;
            int deltaBytes = 0;
            for (int round = 0; round < ROUNDS; round++) {
                // before: the whole snapshot, hashed whole, encoded, decoded, hashed whole, validated, compiled (with reuse), swapped
                Snapshot edited = ScaleSnapshots.withRouteEdited(controllerPrev, ++version, 17, "/before-" + round);
                long a = System.nanoTime();
                long ac = CPU.getCurrentThreadCpuTime();
                String legacy = ContentHash.legacy(edited);
                long b = System.nanoTime();
                long bc = CPU.getCurrentThreadCpuTime();
                byte[] frame = ChannelCodec.encode(new SnapshotPush(ChannelMessage.PROTOCOL, version, legacy, null, edited));
                long c = System.nanoTime();
                long cc = CPU.getCurrentThreadCpuTime();
                Snapshot decoded = ((SnapshotPush) ChannelCodec.decode(frame)).snapshot();
                long d = System.nanoTime();
                long dc = CPU.getCurrentThreadCpuTime();
                ContentHash.legacy(decoded);
                long e = System.nanoTime();
                long ec = CPU.getCurrentThreadCpuTime();
                decoded.validate();
                long f = System.nanoTime();
                long fc = CPU.getCurrentThreadCpuTime();
                if (!proxy.apply(decoded).isEmpty()) {
                    throw new IllegalStateException("refused");
                }
                long g = System.nanoTime();
                long gc = CPU.getCurrentThreadCpuTime();
                frameBytes = frame.length;
                before[round] = new long[]{b - a, c - b, d - c, e - d, f - e, g - f};
                beforeCpu[round] = new long[]{bc - ac, cc - bc, dc - cc, ec - dc, fc - ec, gc - fc};
                controllerPrev = edited;
                controllerDigests = ContentHash.of(edited, null);
                served = proxy.current();
                servedDigests = ContentHash.of(served, null);

                // after: per-object hash, object delta encoded, decoded, replayed, hashed incrementally, validated, compiled, swapped
                Snapshot next = ScaleSnapshots.withRouteEdited(controllerPrev, ++version, 17, "/after-" + round);
                long h = System.nanoTime();
                long hc = CPU.getCurrentThreadCpuTime();
                ContentHash.Digests nd = ContentHash.of(next, controllerDigests);
                long i = System.nanoTime();
                long ic = CPU.getCurrentThreadCpuTime();
                ObjectDelta delta = ObjectDiff.between(controllerPrev, controllerPrev.version(), controllerDigests.hash(), next, nd.hash(),
                        null, Published.MAX_DELTA_SHARE);
                byte[] message = ChannelCodec.encode(delta);
                long j = System.nanoTime();
                long jc = CPU.getCurrentThreadCpuTime();
                ObjectDelta got = (ObjectDelta) ChannelCodec.decode(message);
                long k = System.nanoTime();
                long kc = CPU.getCurrentThreadCpuTime();
                Snapshot patched = ObjectDiff.apply(served, got);
                ContentHash.Digests pd = ContentHash.of(patched, servedDigests);
                if (!pd.hash().equals(got.hash())) {
                    throw new IllegalStateException("hash after replay differs");
                }
                long l = System.nanoTime();
                long lc = CPU.getCurrentThreadCpuTime();
                patched.validate();
                long m = System.nanoTime();
                long mc = CPU.getCurrentThreadCpuTime();
                if (!proxy.applyObjects(patched, pd.hash(), got).isEmpty()) {
                    throw new IllegalStateException("refused");
                }
                long n = System.nanoTime();
                long nc = CPU.getCurrentThreadCpuTime();
                deltaBytes = message.length;
                after[round] = new long[]{i - h, j - i, k - j, l - k, m - l, n - m};
                afterCpu[round] = new long[]{ic - hc, jc - ic, kc - jc, lc - kc, mc - lc, nc - mc};
                controllerPrev = next;
                controllerDigests = nd;
                served = proxy.current();
                servedDigests = pd;
            }
            System.out.printf("snapshot: %d routes, whole message %d bytes; route edit as objects delta %d bytes (%.4f%%)%n",
                    base.routes().size(), frameBytes, deltaBytes, 100.0 * deltaBytes / frameBytes);
            String[] beforeNames = {"controller hash (whole JSON)", "controller encode (whole)", "proxy decode (whole)",
                    "proxy hash (whole JSON)", "proxy validate (alone)", "proxy validate+compile+swap"};
            String[] afterNames = {"controller hash (per object, incremental)", "controller diff+encode (delta)",
                    "proxy decode (delta)", "proxy replay+hash (incremental)", "proxy validate (alone)",
                    "proxy validate+compile+swap"};
            print("before, CPU time of the thread", beforeNames, beforeCpu);
            print("after, CPU time of the thread", afterNames, afterCpu);
            print("before, wall", new String[]{"controller hash (whole JSON)", "controller encode (whole)", "proxy decode (whole)",
                    "proxy hash (whole JSON)", "proxy validate (alone)", "proxy validate+compile+swap"}, before);
            print("after, wall", new String[]{"controller hash (per object, incremental)", "controller diff+encode (delta)",
                    "proxy decode (delta)", "proxy replay+hash (incremental)", "proxy validate (alone)",
                    "proxy validate+compile+swap"}, after);
            System.out.printf("load average at end: %s%n", loadAverage());
        } finally {
            proxy.close();
        }
    }

    private static void print(String title, String[] names, long[][] rounds) {
        System.out.println(title + " (median of " + rounds.length + " rounds, ms):");
        for (int c = 0; c < names.length; c++) {
            long[] v = new long[rounds.length];
            for (int r = 0; r < rounds.length; r++) {
                v[r] = rounds[r][c];
            }
            java.util.Arrays.sort(v);
            System.out.printf("  %-45s %9.2f%n", names[c], v[v.length / 2] / 1e6);
        }
    }

    private static double ms(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e6;
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
