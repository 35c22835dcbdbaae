package dev.gatehouse.bench.scale;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Samples of one measured quantity: median and p99 (nearest rank) with min and max. */
final class Stats {
    private final List<Double> samples = new ArrayList<>();

    void add(double v) {
        samples.add(v);
    }

    int count() {
        return samples.size();
    }

    double percentile(double p) {
        if (samples.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(samples);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    double min() {
        return samples.isEmpty() ? Double.NaN : Collections.min(samples);
    }

    double max() {
        return samples.isEmpty() ? Double.NaN : Collections.max(samples);
    }

    double sum() {
        return samples.stream().mapToDouble(Double::doubleValue).sum();
    }

    /** "median / p99 (min–max), n" in the unit given, e.g. {@code 120 / 340 (95–351) ms, n=100}. */
    String describe(String unit) {
        if (samples.isEmpty()) {
            return "— (no sample)";
        }
        return String.format(Locale.ROOT, "%s / %s (%s–%s) %s, n=%d", num(percentile(50)), num(percentile(99)), num(min()), num(max()),
                unit, samples.size());
    }

    static String num(double v) {
        if (Double.isNaN(v)) {
            return "—";
        }
        return v >= 100 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }
}
