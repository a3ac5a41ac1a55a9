package dev.turnout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * examples/blue-green/deploy.sh run by bash against local processes instead of docker compose:
 * Turnout in-process, blue and green test backends, the turnout CLI as a JVM of its own, and
 * START and STOP commands that only record which colour they were given.
 */
class ExampleDeployTest extends BlueGreenTest {

    static final Path EXAMPLE = Path.of("examples", "blue-green");
    private static final String TOKEN = "example-deploy-token";
    private static final String CHECKS = "health: { interval: 200ms, timeout: 200ms, rise: 2, fall: 1 }\n";

    /** The script's exit code and everything it printed. */
    private record Deploy(int exit, String output) {}

    /** Turnout with the token of the example's proxy.yaml and fast health checks. */
    private ProxyHarness startWithToken(String moreYaml) throws Exception {
        return super.startProxy("admin: { listen: 127.0.0.1:0, token: " + TOKEN + " }\n" + CHECKS + moreYaml);
    }

    /** {@code deploy.sh green}, started; {@link #finish} waits for it. */
    private Process deployGreen(ProxyHarness proxy, Map<String, String> environment) throws IOException {
        Path record = executable("record.sh", "#!/bin/sh\necho \"$1 $2\" >> '" + events() + "'\n");
        Path turnout = executable("turnout.sh", "#!/bin/sh\nexec '" + String.join("' '", turnoutCommand())
                + "' \"$@\" --admin http://127.0.0.1:" + proxy.admin().getPort() + "\n");
        ProcessBuilder builder = new ProcessBuilder("bash", EXAMPLE.resolve("deploy.sh").toString(), "green")
                .redirectErrorStream(true).redirectOutput(output().toFile());
        builder.environment().putAll(Map.of(
                "START", record + " start",
                "STOP", record + " stop",
                "TURNOUT", turnout.toString(),
                "TURNOUT_ADMIN_TOKEN", TOKEN,
                "WATCH", "3s"));
        builder.environment().putAll(environment);
        return builder.start();
    }

    private Deploy finish(Process deploy) throws Exception {
        boolean ended = deploy.waitFor(2, TimeUnit.MINUTES);
        if (!ended) {
            deploy.descendants().forEach(ProcessHandle::destroyForcibly);
            deploy.destroyForcibly();
        }
        String output = Files.readString(output());
        System.out.print(output);
        assertThat(ended).as("deploy.sh ended:\n" + output).isTrue();
        return new Deploy(deploy.exitValue(), output);
    }

    private Path output() {
        return dir.resolve("deploy.out");
    }

    /** The turnout command from this build: a JVM of its own with this test's classpath. */
    static List<String> turnoutCommand() {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), Turnout.class.getName());
    }

    private Path executable(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
        return file;
    }

    private Path events() {
        return dir.resolve("events");
    }

    /** What START and STOP were called with, in order. */
    private List<String> startedAndStopped() throws IOException {
        return Files.exists(events()) ? Files.readAllLines(events()) : List.of();
    }

    private static String servedBy(ProxyHarness proxy) throws Exception {
        try (RawHttp client = proxy.client()) {
            return client.get("/").header("X-Origin").orElseThrow();
        }
    }

    private static String active(ProxyHarness proxy) {
        return proxy.server().traffic().current().active().name();
    }

    /** Gate refusals for {@code reason} so far, from /metrics. */
    private static int refusals(ProxyHarness proxy, String reason) throws Exception {
        String metrics;
        try (RawHttp admin = RawHttp.connect(proxy.admin())) {
            metrics = admin.get("/metrics", "Host: 127.0.0.1", "Authorization: Bearer " + TOKEN).text();
        }
        Matcher m = Pattern.compile("(?m)^turnout_switch_refusals_total\\{reason=\"" + reason + "\",?} (\\S+)$").matcher(metrics);
        return m.find() ? (int) Double.parseDouble(m.group(1)) : 0;
    }

    private static void awaitGreenDown(ProxyHarness proxy) {
        await().until(() -> proxy.server().traffic().current().pool("green").orElseThrow().healthyCount() == 0);
    }

    private static void assertRefused(Deploy d) {
        assertThat(d.exit()).as(d.output()).isEqualTo(3);
        assertThat(d.output()).contains("deploy.sh: the switch to green was refused; traffic stays on blue, which keeps running");
    }

    /** The deploy failed as it should: green was started, and blue was not stopped and still serves. */
    private void assertBlueKeptRunningWithTheTraffic(ProxyHarness proxy) throws Exception {
        assertThat(startedAndStopped()).containsExactly("start green");
        assertThat(servedBy(proxy)).isEqualTo("blue");
    }

    @Test
    void greenComingUpIsSwitchedToOnceHealthyAndBlueIsStoppedAfterTheWatch() throws Exception {
        green.healthStatus(503);
        try (ProxyHarness proxy = startWithToken("")) {
            awaitGreenDown(proxy);
            Process deploy = deployGreen(proxy, Map.of());
            // START "brings green up": from now on it passes its checks, and the refused switches are tried again.
            await().until(() -> startedAndStopped().contains("start green"));
            green.healthStatus(200);

            Deploy d = finish(deploy);
            assertThat(d.exit()).as(d.output()).isZero();
            assertThat(startedAndStopped()).containsExactly("start green", "stop blue");
            assertThat(servedBy(proxy)).isEqualTo("green");
        }
    }

    @Test
    void aRollbackDuringTheWatchLeavesBlueRunningAndFails() throws Exception {
        green.answerAll(500);
        try (ProxyHarness proxy = startWithToken("rollback: { minRequests: 3, minClients: 1 }\n")) {
            Process deploy = deployGreen(proxy, Map.of("WATCH", "2m"));
            await().until(() -> active(proxy).equals("green"));
            try (RawHttp client = proxy.client()) {
                await().until(() -> client.get("/").status() == 200 && active(proxy).equals("blue"));
            }

            Deploy d = finish(deploy);
            assertThat(d.exit()).as(d.output()).isEqualTo(4);
            assertThat(d.output()).contains("deploy.sh: traffic left green during the watch; blue keeps running");
            assertBlueKeptRunningWithTheTraffic(proxy);
        }
    }

    @Test
    void aFailedSmokeRequestIsRefusedOnceAndBlueKeepsTheTraffic() throws Exception {
        green.answerAll(500);
        try (ProxyHarness proxy = startWithToken("switch: { smoke: [ { path: /v1/models, expect: [200] } ] }\n")) {
            Deploy d = finish(deployGreen(proxy, Map.of()));
            assertRefused(d);
            assertThat(refusals(proxy, "smoke")).as("not tried again").isEqualTo(1);
            assertBlueKeptRunningWithTheTraffic(proxy);
        }
    }

    @Test
    void greenThatNeverTurnsHealthyIsTriedAgainThenGivenUpOn() throws Exception {
        green.healthStatus(503);
        try (ProxyHarness proxy = startWithToken("")) {
            awaitGreenDown(proxy);
            Deploy d = finish(deployGreen(proxy, Map.of("SWITCH_TRIES", "2")));
            assertRefused(d);
            assertThat(refusals(proxy, "unhealthy")).isEqualTo(2);
            assertBlueKeptRunningWithTheTraffic(proxy);
        }
    }

    @Test
    void aColourOtherThanBlueOrGreenIsABadArgument() throws Exception {
        Process deploy = new ProcessBuilder("bash", EXAMPLE.resolve("deploy.sh").toString(), "purple")
                .redirectErrorStream(true).redirectOutput(output().toFile()).start();
        Deploy d = finish(deploy);
        assertThat(d.exit()).isEqualTo(2);
        assertThat(d.output()).isEqualTo("usage: deploy.sh blue|green\n");
    }
}
