package dev.gatehouse.app;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code gatehouse -V} names the version the chart and image are released as. */
class VersionTest {
    @Test
    void versionFlagPrintsTheProjectVersionThatTheChartReleases() throws Exception {
        StringWriter out = new StringWriter();
        int code = Gatehouse.commandLine().setOut(new PrintWriter(out)).execute("-V");
        assertThat(code).isZero();

        String pom = Files.readString(Path.of("pom.xml"));
        Matcher m = Pattern.compile("<parent>.*?<version>([^<]+)</version>", Pattern.DOTALL).matcher(pom);
        assertThat(m.find()).isTrue();
        String projectVersion = m.group(1);
        assertThat(out.toString().strip()).isEqualTo("gatehouse " + projectVersion);

        String chart = Files.readString(Path.of("..", "helm", "gatehouse", "Chart.yaml"));
        assertThat(chart).contains("appVersion: \"" + projectVersion.replace("-SNAPSHOT", "") + "\"");
    }
}
