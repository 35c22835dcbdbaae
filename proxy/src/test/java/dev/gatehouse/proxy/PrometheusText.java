package dev.gatehouse.proxy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed Prometheus text exposition (format 0.0.4): every sample line
 * {@code name{label="value",...} value}; comment lines are skipped.
 */
public final class PrometheusText {
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final List<Sample> samples;

    private PrometheusText(List<Sample> samples) {
        this.samples = samples;
    }

    public static PrometheusText parse(String text) {
        List<Sample> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            Map<String, String> labels = new LinkedHashMap<>();
            String name;
            if (brace >= 0 && brace < space) {
                name = line.substring(0, brace);
                int close = line.lastIndexOf('}');
                String body = line.substring(brace + 1, close);
                int i = 0;
                while (i < body.length()) {
                    int eq = body.indexOf('=', i);
                    String key = body.substring(i, eq);
                    StringBuilder value = new StringBuilder();
                    int j = eq + 2; // past ="
                    while (body.charAt(j) != '"') {
                        char c = body.charAt(j);
                        if (c == '\\') {
                            j++;
                            c = body.charAt(j) == 'n' ? '\n' : body.charAt(j);
                        }
                        value.append(c);
                        j++;
                    }
                    labels.put(key, value.toString());
                    i = j + 1;
                    if (i < body.length() && body.charAt(i) == ',') {
                        i++;
                    }
                }
            } else {
                name = line.substring(0, space);
            }
            out.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1))));
        }
        return new PrometheusText(out);
    }

    /** The samples named {@code name} whose labels include {@code labels} (name, value, name, value...). */
    public List<Sample> find(String name, String... labels) {
        List<Sample> found = new ArrayList<>();
        for (Sample s : samples) {
            if (!s.name().equals(name)) {
                continue;
            }
            boolean match = true;
            for (int i = 0; i < labels.length; i += 2) {
                match &= labels[i + 1].equals(s.labels().get(labels[i]));
            }
            if (match) {
                found.add(s);
            }
        }
        return found;
    }

    /** The value of the one sample named {@code name} with exactly these labels; fails when there is none. */
    public double value(String name, String... labels) {
        for (Sample s : find(name, labels)) {
            if (s.labels().size() == labels.length / 2) {
                return s.value();
            }
        }
        throw new AssertionError("no series " + name + " " + List.of(labels) + " in the scrape");
    }

    public boolean has(String name, String... labels) {
        return !find(name, labels).isEmpty();
    }
}
