package dev.turnout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.turnout.testing.TestCertificates;
import dev.turnout.testing.TestCertificates.Issued;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandLineTest {

    @TempDir
    Path dir;

    private static CommandRun run(String... args) {
        return CommandRun.of(Turnout.commandLine(), args);
    }

    @Test
    void checkAcceptsAGoodConfigWithASummary() {
        CommandRun r = run("check", "--config", "proxy.yaml");
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
        CommandRun r = run("check", "--config", bad.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().lines()).containsExactly(
                "pools.green.backends[0]: \"localhost:80x\" is not host:port",
                "upstream.connectTimeout: \"fast\" is not a duration (expected: 500ms, 10s, 2m)");
        assertThat(r.err()).doesNotContain("Exception", "\tat ");
        assertThat(run("--config", bad.toString(), "check").exit()).isEqualTo(2);
    }

    /** A config whose one certificate is {@code chain} with the key of {@code keyOwner}. */
    private Path tlsConfig(Issued keyOwner, Issued... chain) throws Exception {
        Path config = dir.resolve("tls.yaml");
        Files.writeString(config, "pools:\n  blue: { backends: [\"127.0.0.1:1\"] }\n  green: { backends: [\"127.0.0.1:2\"] }\n"
                + "tls:\n  certificates:\n    - { cert: " + TestCertificates.writeChain(dir.resolve("fullchain.pem"), chain)
                + ", key: " + TestCertificates.writeKey(dir.resolve("privkey.pem"), keyOwner) + " }\n");
        return config;
    }

    private static Instant inDays(long days) {
        return Instant.now().truncatedTo(ChronoUnit.SECONDS).plus(days, ChronoUnit.DAYS).plusSeconds(3600);
    }

    @Test
    void checkListsTheNamesEachCertificateServes() throws Exception {
        Issued ca = TestCertificates.intermediate("Test Intermediate", TestCertificates.root("Test Root"));
        Issued leaf = TestCertificates.leaf("a.example", ca, Instant.now().minusSeconds(60), inDays(90), "a.example", "www.a.example");
        CommandRun r = run("check", "--config", tlsConfig(leaf, leaf, ca).toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out().lines()).contains("  certificate tls.certificates[0]: a.example, www.a.example; valid until "
                + leaf.certificate().getNotAfter().toInstant() + " (90 days)");
        assertThat(r.out()).doesNotContain("warning");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void aCertificateExpiringWithinTwoWeeksIsAWarningAndExit0() throws Exception {
        Issued ca = TestCertificates.intermediate("Test Intermediate", TestCertificates.root("Test Root"));
        Issued leaf = TestCertificates.leaf("a.example", ca, Instant.now().minusSeconds(60), inDays(7), "a.example");
        CommandRun r = run("check", "--config", tlsConfig(leaf, leaf, ca).toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out().lines()).contains("  warning     tls.certificates[0].cert: expires on "
                + leaf.certificate().getNotAfter().toInstant() + ", in 7 days (renew it before then)");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void eachBadCertificateIsOneLineAndExit2() throws Exception {
        Issued ca = TestCertificates.intermediate("Test Intermediate", TestCertificates.root("Test Root"));
        Issued leaf = TestCertificates.leaf("a.example", ca, Instant.now().minusSeconds(60), inDays(90), "a.example");
        Issued other = TestCertificates.leaf("b.example", ca, Instant.now().minusSeconds(60), inDays(90), "b.example");
        Path cert = dir.resolve("fullchain.pem");
        Path key = dir.resolve("privkey.pem");

        assertThat(checkFails(tlsConfig(other, leaf, ca))).isEqualTo("tls.certificates[0].key: " + key + " is not the key of the first "
                + "certificate in " + cert + " (expected: the private key of CN=a.example)");
        assertThat(checkFails(tlsConfig(leaf, ca, leaf))).isEqualTo("tls.certificates[0].cert: certificate 1 (CN=Test Intermediate) is "
                + "not signed by certificate 2 (CN=a.example) (expected: PEM, the certificate first, then each intermediate after the one "
                + "it signs)");
        Issued expired = TestCertificates.leaf("a.example", ca, Instant.now().minusSeconds(86400 * 30), inDays(-2), "a.example");
        assertThat(checkFails(tlsConfig(expired, expired, ca))).isEqualTo("tls.certificates[0].cert: certificate 1 (CN=a.example) "
                + "expired on " + expired.certificate().getNotAfter().toInstant() + " (expected: a certificate valid now; renew it)");

        Path config = tlsConfig(leaf, leaf, ca);
        Files.writeString(cert, "not a certificate\n");
        assertThat(checkFails(config)).isEqualTo("tls.certificates[0].cert: " + cert + " is not PEM (expected: PEM, the certificate "
                + "first, then each intermediate after the one it signs)");
        Files.delete(cert);
        assertThat(checkFails(config)).isEqualTo("tls.certificates[0].cert: " + cert + ": no such file (expected: a readable PEM file)");
    }

    private static String checkFails(Path config) {
        CommandRun r = run("check", "--config", config.toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().lines()).hasSize(1);
        return r.err().lines().findFirst().orElseThrow();
    }

    @Test
    void runningWithAnUnreadableConfigIsOneLineAndExit1() {
        CommandRun r = run("--config", dir.resolve("missing.yaml").toString());
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
            CommandRun r = run("--config", config.toString());
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
    private static CommandRun runFailingStart(Path config) {
        return assertTimeoutPreemptively(Duration.ofMinutes(1), () -> run("--config", config.toString()));
    }

    @Test
    void aNullHistoryEntryInTheStateFileIsOneLineAndExit1() throws Exception {
        Path state = Files.writeString(dir.resolve("state.json"), "{\"active\":\"green\",\"generation\":2,\"history\":[null]}");
        CommandRun r = runFailingStart(configWithState(state));
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
        CommandRun r = runFailingStart(configWithState(state));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().lines()).containsExactly(
                "turnout: state.file: cannot write " + state + ": /sys: permission denied (every flip saves the active pool there)");
    }

    @Test
    void helpAndVersion() {
        CommandRun help = run("--help");
        assertThat(help.exit()).isZero();
        assertThat(help.out()).contains("--config", "check", "demo");
        CommandRun version = run("--version");
        assertThat(version.exit()).isZero();
        assertThat(version.out()).startsWith("turnout ");
    }
}
