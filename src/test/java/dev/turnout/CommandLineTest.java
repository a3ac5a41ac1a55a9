package dev.turnout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CommandLineTest {

    @TempDir
    Path dir;

    record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        CommandLine cli = Turnout.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void checkAcceptsAGoodConfigWithASummary() {
        Run r = run("check", "--config", "proxy.yaml");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("proxy.yaml: ok", "blue: 127.0.0.1:8001", "green: 127.0.0.1:8002", "drain       timeout 2m");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void checkRejectsABadConfigWithOneLinePerProblemAndExit2() throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, """
                pools:
                  blue:  { backends: ["127.0.0.1:8001"] }
                  green: { backends: ["localhost:80x"] }
                upstream: { connectTimeout: fast }
                """);
        Run r = run("check", "--config", bad.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().lines()).containsExactly(
                "pools.green.backends[0]: \"localhost:80x\" is not host:port",
                "upstream.connectTimeout: \"fast\" is not a duration (expected: 500ms, 10s, 2m)");
        assertThat(r.err()).doesNotContain("Exception", "\tat ");
        assertThat(run("--config", bad.toString(), "check").exit()).isEqualTo(2);
    }

    @Test
    void runningWithAnUnreadableConfigIsOneLineAndExit1() {
        Run r = run("--config", dir.resolve("missing.yaml").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().lines()).containsExactly("turnout: " + dir.resolve("missing.yaml") + ": no such file");
    }

    @Test
    void aPortInUseIsOneLineAndExit1() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path config = dir.resolve("proxy.yaml");
            Files.writeString(config, "listen: 127.0.0.1:" + taken.getLocalPort() + "\nadmin: { listen: 127.0.0.1:0 }\n"
                    + "state: { file: " + dir.resolve("state.json") + " }\n"
                    + "pools:\n  blue: { backends: [\"127.0.0.1:1\"] }\n  green: { backends: [\"127.0.0.1:2\"] }\n");
            Run r = run("--config", config.toString());
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err().lines()).containsExactly(
                    "turnout: listen: cannot listen on 127.0.0.1:" + taken.getLocalPort() + ": address already in use");
        }
    }

    /** A config on free ports with its state file at {@code state}; such a run only ends by failing to start. */
    private Path configWithState(Path state) throws Exception {
        return Files.writeString(dir.resolve("proxy.yaml"), "listen: 127.0.0.1:0\nadmin: { listen: 127.0.0.1:0 }\n"
                + "state: { file: " + state + " }\n"
                + "pools:\n  blue: { backends: [\"127.0.0.1:1\"] }\n  green: { backends: [\"127.0.0.1:2\"] }\n");
    }

    /** Guards against a start that succeeds and runs until stopped; no test asserts on time. */
    private static Run runFailingStart(Path config) {
        return assertTimeoutPreemptively(Duration.ofMinutes(1), () -> run("--config", config.toString()));
    }

    @Test
    void aNullHistoryEntryInTheStateFileIsOneLineAndExit1() throws Exception {
        Path state = Files.writeString(dir.resolve("state.json"), "{\"active\":\"green\",\"generation\":2,\"history\":[null]}");
        Run r = runFailingStart(configWithState(state));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().lines()).containsExactly("turnout: cannot read state file " + state
                + ": history[0] is null (expected: a flip, like {\"from\":\"blue\",\"to\":\"green\",...})"
                + " (fix or remove it; it remembers the active pool and the flip history)");
    }

    @Test
    void anUnwritableStateDirectoryIsOneLineAndExit1() throws Exception {
        // sysfs refuses new files to root too, whom a chmod would not stop; reading finds no file there.
        Path sys = Path.of("/sys");
        assumeTrue(Files.isDirectory(sys), "needs Linux's /sys");
        Path state = sys.resolve("turnout-test-state.json");
        Run r = runFailingStart(configWithState(state));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().lines()).containsExactly(
                "turnout: state.file: cannot write " + state + ": /sys: permission denied (every flip saves the active pool there)");
    }

    @Test
    void helpAndVersion() {
        Run help = run("--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("--config", "check", "demo");
        Run version = run("--version");
        assertThat(version.exit()).isZero();
        assertThat(version.out()).startsWith("turnout ");
    }
}
