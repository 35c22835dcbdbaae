package dev.gatehouse.bench.scale;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The figures of one run as a Markdown table (figure, measured, goal, met), printed as they come
 * and written to a file that {@code bench/scale.sh} places in {@code docs/scale.md}.
 */
final class Report {
    private final List<String> rows = new ArrayList<>();

    /** A figure with no goal of its own. */
    void line(String what, String measured) {
        add(what, measured, "", "");
    }

    /** A figure with the goal beside it. */
    void goal(String what, String measured, String goal, boolean met) {
        add(what, measured, goal, met ? "yes" : "**no**");
    }

    private synchronized void add(String what, String measured, String goal, String met) {
        String row = "| " + what + " | " + measured + " | " + goal + " | " + met + " |";
        rows.add(row);
        System.out.println(row);
        System.out.flush();
    }

    synchronized void write(Path file, String title) throws IOException {
        List<String> out = new ArrayList<>();
        out.add(title);
        out.add("");
        out.add("| figure | measured: median / p99 (min–max) | goal | met |");
        out.add("|---|---|---|---|");
        out.addAll(rows);
        Files.write(file, out);
    }
}
