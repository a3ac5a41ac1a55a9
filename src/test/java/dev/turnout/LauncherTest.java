package dev.turnout;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.TurnoutProcess;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/turnout, run as users and the Docker image run it: it finds Java, applies bin/jvm.options and
 * TURNOUT_JAVA_OPTS, and becomes the JVM. The tests run before the shaded jar is built, so they
 * hand the launcher a jar of their own whose manifest names the build's classes and dependencies.
 */
class LauncherTest {

    private static final Path LAUNCHER = Path.of("bin", "turnout").toAbsolutePath();

    @TempDir
    Path dir;

    /** A jar with no classes, whose manifest points at the test run's class path. */
    private Path jar() throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "dev.turnout.Turnout");
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, Arrays.stream(System.getProperty("java.class.path")
                .split(File.pathSeparator)).map(p -> new File(p).toURI().toString()).collect(Collectors.joining(" ")));
        Path jar = dir.resolve("turnout.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest)) {
            out.flush();
        }
        return jar;
    }

    private ProcessBuilder launcher(Map<String, String> environment, String... args) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(LAUNCHER.toString());
        builder.command().addAll(List.of(args));
        builder.environment().put("TURNOUT_JAR", jar().toString());
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().remove("TURNOUT_JAVA_OPTS");
        builder.environment().putAll(environment);
        return builder;
    }

    private static List<String> jvmOptions() throws IOException {
        return Files.readAllLines(Path.of("bin", "jvm.options")).stream().map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }

    @Test
    void theLauncherBecomesTheJvmWithTheOptionsOfItsFileAndStopsOnSigterm() throws Exception {
        try (TurnoutProcess turnout = TurnoutProcess.start(dir, "pools:\n  blue: { backends: [\"127.0.0.1:9\"] }\n  green: { backends: [\"127.0.0.1:9\"] }\n",
                launcher(Map.of("TURNOUT_JAVA_OPTS", "-Dturnout.launcherTest=yes -XX:MaxDirectMemorySize=96m")))) {
            // exec: the process the launcher was started as is now java, with the file's options, then the extra ones.
            assertThat(turnout.info().command()).hasValueSatisfying(c -> assertThat(c).endsWith("/bin/java"));
            List<String> arguments = List.of(turnout.info().arguments().orElseThrow());
            assertThat(arguments).containsSubsequence(jvmOptions());
            assertThat(arguments).containsSubsequence(jvmOptions().get(jvmOptions().size() - 1), "-Dturnout.launcherTest=yes",
                    "-XX:MaxDirectMemorySize=96m", "-jar");
            // The signal reaches Turnout itself: a graceful stop, exit 0.
            turnout.signal("TERM");
            assertThat(turnout.waitForExit()).isZero();
            assertThat(turnout.output()).contains("stopping gracefully");
        }
    }

    @Test
    void trainBuildsTheClassDataArchiveThatTheNextStartUses() throws Exception {
        Process train = launcher(Map.of(), "train").redirectErrorStream(true).start();
        String said = new String(train.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(train.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(train.exitValue()).as(said).isZero();
        assertThat(said).contains("trained: 2000 of 2000 requests answered 200");
        Path archive = dir.resolve("turnout.jsa");
        assertThat(archive).isNotEmptyFile();
        try (TurnoutProcess turnout = TurnoutProcess.start(dir.resolve("run"), "pools:\n  blue: { backends: [\"127.0.0.1:9\"] }\n"
                + "  green: { backends: [\"127.0.0.1:9\"] }\n", launcher(Map.of()))) {
            assertThat(List.of(turnout.info().arguments().orElseThrow())).contains("-XX:SharedArchiveFile=" + archive);
        }
    }

    @Test
    void checkRunsThroughTheLauncherAndABadJavaHomeIsOneLine() throws Exception {
        Path config = dir.resolve("bad.yaml");
        Files.writeString(config, "pools: {}\n");
        Process check = launcher(Map.of(), "check", "--config", config.toString()).redirectErrorStream(true).start();
        String out = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(check.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(check.exitValue()).as(out).isEqualTo(2);
        assertThat(out).contains("pools");

        Process noJava = launcher(Map.of("JAVA_HOME", dir.resolve("no-jdk").toString()), "demo").redirectErrorStream(true).start();
        String said = new String(noJava.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(noJava.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(noJava.exitValue()).isEqualTo(1);
        assertThat(said).isEqualTo("turnout: " + dir.resolve("no-jdk") + "/bin/java is not an executable java (check JAVA_HOME)\n");
    }
}
