package dev.gatehouse.controller.translate;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.function.IntConsumer;

/** The timing the opt-in full-size figures share: wall clock and the calling thread's CPU per step. */
final class ScaleTiming {
    private ScaleTiming() {
    }

    /** Wall-clock nanoseconds of each of {@code steps} calls, sorted, then the thread's CPU nanoseconds, sorted. */
    static long[][] time(int steps, IntConsumer step) {
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        long[] t = new long[steps];
        long[] c = new long[steps];
        for (int i = 0; i < steps; i++) {
            long startCpu = cpu.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            step.accept(i);
            t[i] = System.nanoTime() - start;
            c[i] = cpu.getCurrentThreadCpuTime() - startCpu;
        }
        Arrays.sort(t);
        Arrays.sort(c);
        return new long[][] {t, c};
    }

    /** One line per kind (wall clock, thread CPU): median, min and max in milliseconds. */
    static void print(String what, long[][] sorted, String unit) {
        String[] kinds = {"", " (thread CPU)"};
        for (int k = 0; k < 2; k++) {
            long[] s = sorted[k];
            System.out.printf("figure %-62s median %6.2f ms, min %6.2f, max %6.2f (%d %s)%n", what + kinds[k],
                    s[s.length / 2] / 1e6, s[0] / 1e6, s[s.length - 1] / 1e6, s.length, unit);
        }
    }
}
