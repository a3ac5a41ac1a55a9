package dev.turnout.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    private static final String POOLS = """
            pools:
              blue:  { backends: ["127.0.0.1:8001"] }
              green: { backends: ["127.0.0.1:8002"] }
            """;

    private final ConfigLoader loader = new ConfigLoader(Map.of("PORT", "8443", "EMPTY", "")::get);

    private ConfigException problemsOf(String yaml) {
        return catchThrowableOfType(ConfigException.class, () -> loader.parse(yaml, "proxy.yaml"));
    }

    @Test
    void onlyPoolsIsRequiredAndEverythingElseHasItsDefault() throws Exception {
        ProxyConfig c = loader.parse(POOLS, "proxy.yaml");
        assertThat(c.listen()).isEqualTo(new HostPort("0.0.0.0", 8080));
        assertThat(c.admin().listen()).isEqualTo(new HostPort("127.0.0.1", 9090));
        assertThat(c.pools()).extracting(ProxyConfig.PoolSpec::name).containsExactly("blue", "green");
        assertThat(c.active()).isEqualTo("blue");
        assertThat(c.state().file()).contains(Path.of("turnout-state.json"));
        assertThat(c.upstream().connectTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.upstream().readTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.upstream().writeTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.upstream().keepalive()).isEqualTo(new ProxyConfig.Keepalive(OptionalInt.empty(), Duration.ofSeconds(60), 1000));
        assertThat(c.drain().timeout()).isEqualTo(Duration.ofSeconds(120));
    }

    @Test
    void theCheckedInProxyYamlIsValidAndMirrorsTheClassicSetup() throws Exception {
        ProxyConfig c = loader.load(Path.of("proxy.yaml"));
        assertThat(c.pools()).extracting(p -> p.backends().get(0).toString()).containsExactly("127.0.0.1:8001", "127.0.0.1:8002");
        assertThat(c).isEqualTo(loader.parse(POOLS, "defaults"));
    }

    @Test
    void readsEveryKey() throws Exception {
        ProxyConfig c = loader.parse("""
                listen: 127.0.0.1:${PORT}
                admin: { listen: "[::1]:9999" }
                pools:
                  a: { backends: ["10.0.0.1:80", "backend.internal:8080"] }
                  b: { backends: ["10.0.0.2:80"] }
                active: b
                state: { file: /var/lib/turnout/state.json }
                upstream:
                  connectTimeout: 500ms
                  readTimeout: 2m
                  writeTimeout: 1h
                  keepalive: { maxIdlePerBackend: 0, idleTimeout: 5s, maxRequestsPerConnection: 7 }
                drain:
                  timeout: ${DRAIN:-45s}
                """, "proxy.yaml");
        assertThat(c.listen()).isEqualTo(new HostPort("127.0.0.1", 8443));
        assertThat(c.admin().listen()).isEqualTo(new HostPort("::1", 9999));
        assertThat(c.pools().get(0).backends()).containsExactly(new HostPort("10.0.0.1", 80), new HostPort("backend.internal", 8080));
        assertThat(c.active()).isEqualTo("b");
        assertThat(c.state().file()).contains(Path.of("/var/lib/turnout/state.json"));
        assertThat(c.upstream().connectTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.upstream().readTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.upstream().writeTimeout()).isEqualTo(Duration.ofHours(1));
        assertThat(c.upstream().keepalive()).isEqualTo(new ProxyConfig.Keepalive(OptionalInt.of(0), Duration.ofSeconds(5), 7));
        assertThat(c.drain().timeout()).isEqualTo(Duration.ofSeconds(45));
    }

    @Test
    void everyProblemIsReportedWithItsKeyPathAndTheExpectedForm() {
        ConfigException e = problemsOf("""
                listen: 8080
                pools:
                  blue:  { backends: ["127.0.0.1:8001"] }
                  green: { backends: ["localhost:80x"], weight: 3 }
                active: purple
                upstream:
                  connectTimeout: fast
                  keepalive: { maxRequestsPerConnection: 0 }
                drain: { timeout: 0s }
                startup: { warmup: 2m }
                colour: red
                """);
        assertThat(e.problems()).containsExactlyInAnyOrder(
                "listen: \"8080\" is not host:port",
                "pools.green.backends[0]: \"localhost:80x\" is not host:port",
                "pools.green.weight: unknown key (expected one of: backends)",
                "active: \"purple\" is not a pool (expected one of: blue, green)",
                "upstream.connectTimeout: \"fast\" is not a duration (expected: 500ms, 10s, 2m)",
                "startup.warmup: 2m is too long (expected: a duration up to 1m, or 0s for none)",
                "upstream.keepalive.maxRequestsPerConnection: 0 is too small (expected: >= 1)",
                "drain.timeout: is zero (expected: a duration above 0, such as 500ms, 10s, 2m)",
                "colour: unknown key (expected one of: listen, admin, pools, active, state, upstream, drain, startup, shutdown, health, edgeHealth, switch, retry, preview, rollback, limits, headers, trustedProxies, tls, http2, logging, accessLog, cluster)");
    }

    @Test
    void poolsMustBeTwoOrMoreEachWithBackends() {
        assertThat(problemsOf("listen: 0.0.0.0:8080\n").problems())
                .containsExactly("pools: is missing (expected: two or more named pools, e.g. blue: { backends: [\"127.0.0.1:8001\"] })");
        assertThat(problemsOf("pools:\n  blue: { backends: [\"127.0.0.1:1\"] }\n").problems())
                .containsExactly("pools: has 1 pool (expected: two or more, such as blue and green)");
        assertThat(problemsOf("pools:\n  blue: { backends: [] }\n  green: {}\n").problems()).containsExactly(
                "pools.blue.backends: is missing or empty (expected: a list of one or more host:port)",
                "pools.green.backends: is missing or empty (expected: a list of one or more host:port)");
        assertThat(problemsOf("pools:\n  blue: { backends: [\"127.0.0.1:1\", \"127.0.0.1:1\"] }\n  green: { backends: [\"127.0.0.1:2\"] }\n").problems())
                .containsExactly("pools.blue.backends[1]: \"127.0.0.1:1\" is listed twice in this pool");
        assertThat(problemsOf("pools:\n  blue: { backends: \"127.0.0.1:1\" }\n  green: { backends: [\"127.0.0.1:2\"] }\n").problems())
                .containsExactly("pools.blue.backends: is a value (expected: a list such as [\"127.0.0.1:8001\"])");
        assertThat(problemsOf("pools:\n  \"bl ue\": { backends: [\"127.0.0.1:1\"] }\n  green: { backends: [\"127.0.0.1:2\"] }\n").problems())
                .containsExactly("pools.bl ue: is not a valid pool name (expected: letters, digits, - and _)");
    }

    @Test
    void drainCloseTunnelsIsOffUnlessADurationIsGiven() throws Exception {
        assertThat(loader.parse(POOLS, "proxy.yaml").drain().closeTunnels()).isEmpty();
        assertThat(loader.parse(POOLS + "drain: { closeTunnels: off }\n", "proxy.yaml").drain().closeTunnels()).isEmpty();
        assertThat(loader.parse(POOLS + "drain: { closeTunnels: 2s }\n", "proxy.yaml").drain().closeTunnels())
                .contains(Duration.ofSeconds(2));
        assertThat(problemsOf(POOLS + "drain: { closeTunnels: soon }\nlimits: { tunnelIdleTimeout: 0s }\n").problems()).containsExactly(
                "drain.closeTunnels: \"soon\" is not a duration above 0 or off (expected: 2s, 10m, or off)",
                "limits.tunnelIdleTimeout: is zero (expected: a duration above 0, such as 500ms, 10s, 2m)");
        assertThat(problemsOf(POOLS + "drain: { closeTunnels: 0s }\n").problems()).containsExactly(
                "drain.closeTunnels: \"0s\" is not a duration above 0 or off (expected: 2s, 10m, or off)");
    }

    @Test
    void limitsAreSizesAndDurationsWithinSaneBounds() throws Exception {
        ProxyConfig c = loader.parse(POOLS + "limits: { maxRequestLine: 16KiB, maxHeaderBytes: 1MiB, maxHeaders: 50, maxBodyBytes: 2GiB, "
                + "headerTimeout: 5s, idleTimeout: 2m, maxConnections: 50, tunnelIdleTimeout: 10m }\n", "proxy.yaml");
        assertThat(c.limits()).isEqualTo(new ProxyConfig.Limits(16 << 10, 1 << 20, 50, 2L << 30, Duration.ofSeconds(5),
                Duration.ofMinutes(2), 50, Duration.ofMinutes(10)));
        assertThat(loader.parse(POOLS, "proxy.yaml").limits().tunnelIdleTimeout()).isEqualTo(Duration.ofHours(1));
        assertThat(loader.parse(POOLS, "proxy.yaml").limits().maxHeaders()).isEqualTo(100);
        assertThat(problemsOf(POOLS + "limits: { maxHeaders: 0 }\n").problems())
                .containsExactly("limits.maxHeaders: 0 is too small (expected: >= 1)");
        assertThat(problemsOf(POOLS + "limits: { maxRequestLine: 0, maxHeaderBytes: lots }\n").problems()).containsExactly(
                "limits.maxRequestLine: \"0\" is too small (expected: at least 256 bytes)",
                "limits.maxHeaderBytes: \"lots\" is not a size (expected: bytes, or 8KiB, 1MiB, 2GiB)");
        assertThat(problemsOf(POOLS + "trustedProxies: [\"10.0.0.0/8\", \"300.1.1.1\"]\n").problems()).containsExactly(
                "trustedProxies[1]: \"300.1.1.1\" is not an address range (expected: 10.0.0.0/8, 192.168.1.7 or fd00::/8)");
        assertThat(problemsOf(POOLS + "switch: { minHealthy: 2 }\n").problems()).containsExactly(
                "switch.minHealthy: 2 is more than pool blue has backends (1), so no switch to it could pass (expected: at most 1)",
                "switch.minHealthy: 2 is more than pool green has backends (1), so no switch to it could pass (expected: at most 1)");
    }

    @Test
    void keysOfTheAuditHaveTheirDefaultsAndForms() throws Exception {
        ProxyConfig defaults = loader.parse(POOLS, "proxy.yaml");
        assertThat(defaults.upstream().firstByteTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(defaults.headers().allowUnderscores()).isFalse();
        assertThat(defaults.rollback().minClients()).isEqualTo(3);
        ProxyConfig set = loader.parse(POOLS + "upstream: { firstByteTimeout: 2m }\nheaders: { allowUnderscores: true }\n"
                + "rollback: { minClients: 1 }\n", "proxy.yaml");
        assertThat(set.upstream().firstByteTimeout()).isEqualTo(Duration.ofMinutes(2));
        assertThat(set.headers().allowUnderscores()).isTrue();
        assertThat(set.rollback().minClients()).isEqualTo(1);
        assertThat(problemsOf(POOLS + "headers: { allowUnderscores: sometimes, strip: [] }\nrollback: { minClients: 0 }\n").problems())
                .containsExactlyInAnyOrder(
                        "headers.allowUnderscores: \"sometimes\" is not a boolean (expected: true or false)",
                        "headers.strip: unknown key (expected one of: allowUnderscores)",
                        "rollback.minClients: 0 is too small (expected: >= 1)");
    }

    @Test
    void tlsIsReadWithItsDefaultsAndRefusesWhatIsUnsafeOrIncomplete() throws Exception {
        ProxyConfig.Tls tls = loader.parse(POOLS + "tls: { certificates: [{ cert: full.pem, key: key.pem }] }\n", "proxy.yaml")
                .tls().orElseThrow();
        assertThat(tls).isEqualTo(new ProxyConfig.Tls(new HostPort("0.0.0.0", 8443),
                List.of(new ProxyConfig.Certificate(Path.of("full.pem"), Path.of("key.pem"))), List.of("TLSv1.2", "TLSv1.3"),
                List.of(), List.of("h2", "http/1.1"), false, 443, Optional.empty()));
        assertThat(loader.parse(POOLS, "proxy.yaml").tls()).isEmpty();
        String cert = "certificates: [{ cert: full.pem, key: key.pem }]";
        assertThat(problemsOf(POOLS + "tls: { " + cert + ", protocols: [TLSv1.1, TLSv1.3] }\n").problems()).containsExactly(
                "tls.protocols[0]: \"TLSv1.1\" is not allowed (TLSv1 and TLSv1.1 are broken and refused; expected: TLSv1.2, TLSv1.3)");
        assertThat(problemsOf(POOLS + "tls: { certificates: [{ cert: full.pem }] }\n").problems()).containsExactly(
                "tls.certificates[0].key: is missing (expected: the PEM file of its private key, such as /etc/turnout/privkey.pem)");
        assertThat(problemsOf(POOLS + "tls: { certificates: [] }\n").problems()).containsExactly(
                "tls.certificates: is missing or empty (expected: - { cert: /etc/turnout/fullchain.pem, key: /etc/turnout/privkey.pem })");
        assertThat(problemsOf(POOLS + "tls: { " + cert + ", redirectPort: 70000 }\n").problems())
                .containsExactly("tls.redirectPort: 70000 is not a port (expected: 1 to 65535)");
        assertThat(problemsOf(POOLS + "tls: { " + cert + ", alpn: [h2, spdy/3] }\n").problems())
                .containsExactly("tls.alpn[1]: \"spdy/3\" is not allowed (expected: h2, http/1.1)");
        // A block scalar ends in a line break, which would end every HTTPS answer's head early.
        assertThat(problemsOf(POOLS + "tls:\n  " + cert + "\n  hsts: |\n    max-age=31536000\n    preload\n").problems())
                .containsExactly("tls.hsts: is not one line of printable ASCII (expected: max-age=31536000; includeSubDomains)");
        assertThat(loader.parse(POOLS + "tls:\n  " + cert + "\n  hsts: |\n    max-age=31536000\n", "proxy.yaml").tls().orElseThrow().hsts())
                .contains("max-age=31536000");
    }

    @Test
    void edgeHealthIsOnByDefaultOffWhenEmptyAndMustBeAPathWithoutAQuery() throws Exception {
        String pools = "pools: { blue: { backends: [\"127.0.0.1:8001\"] }, green: { backends: [\"127.0.0.1:8002\"] } }\n";
        assertThat(loader.parse(pools, "proxy.yaml").edgeHealth().path()).hasValue("/turnout/health");
        assertThat(loader.parse(pools + "edgeHealth: { path: \"\" }\n", "proxy.yaml").edgeHealth().path()).isEmpty();
        assertThat(problemsOf(pools + "edgeHealth: { path: lb }\n").problems()).containsExactly("edgeHealth.path: \"lb\" is not a "
                + "path (expected: /turnout/health or another path starting with /, without ? or #, or \"\" for off)");
        assertThat(problemsOf(pools + "edgeHealth: { path: \"/lb?x=1\" }\n").problems()).hasSize(1);
    }

    @Test
    void loggingLevelAndFormatAreOneOfTheirNamesInAnyCase() throws Exception {
        String pools = "pools: { blue: { backends: [\"127.0.0.1:8001\"] }, green: { backends: [\"127.0.0.1:8002\"] } }\n";
        assertThat(loader.parse(pools, "proxy.yaml").logging()).isEqualTo(new ProxyConfig.Logging("info", "text"));
        assertThat(loader.parse(pools + "logging: { level: WARN, format: Json }\n", "proxy.yaml").logging())
                .isEqualTo(new ProxyConfig.Logging("warn", "json"));
        assertThat(problemsOf(pools + "logging: { level: verbose, format: xml }\n").problems()).containsExactly(
                "logging.level: \"verbose\" is not a level (expected: debug, info, warn, error)",
                "logging.format: \"xml\" is not a log format (expected: text, json)");
    }

    @Test
    void anAdminTokenWithSurroundingWhitespaceIsRefusedBecauseItCouldNeverMatch() throws Exception {
        assertThat(problemsOf(POOLS + "admin: { token: \" s3cret\" }\n").problems())
                .containsExactly("admin.token: has leading or trailing whitespace (expected: the token alone)");
        assertThat(problemsOf(POOLS + "admin: { token: \"s3cret\\t\" }\n").problems())
                .containsExactly("admin.token: has leading or trailing whitespace (expected: the token alone)");
        assertThat(loader.parse(POOLS + "admin: { token: s3cret }\n", "proxy.yaml").admin().token()).contains("s3cret");
    }

    @Test
    void malformedYamlAndWrongShapesAreProblemsNotCrashes() {
        assertThat(problemsOf(POOLS + "drain: { timeout: ${X} }\n").problems())
                .containsExactly("proxy.yaml: not valid YAML at line 4, column 20 (expected ',' or '}', but got {)");
        assertThat(problemsOf("").problems()).containsExactly("proxy.yaml: is empty (expected: at least a pools mapping)");
        assertThat(problemsOf("- a\n- b\n").problems()).containsExactly("proxy.yaml: is not a mapping of keys (expected: listen, admin, pools, ...)");
        assertThat(problemsOf(POOLS + "upstream: 5s\n").problems()).containsExactly("upstream: is a value (expected: a mapping of keys)");
        assertThat(problemsOf(POOLS + "pools: {}\n").problems().get(0)).contains("Duplicate field 'pools'");
        assertThat(problemsOf(POOLS + "upstream: { keepalive: { maxIdlePerBackend: lots } }\n").problems())
                .containsExactly("upstream.keepalive.maxIdlePerBackend: \"lots\" is not auto or a whole number"
                        + " (expected: auto, or a whole number, 0 or more)");
        assertThat(problemsOf(POOLS + "upstream: { keepalive: { maxIdlePerBackend: -1 } }\n").problems())
                .containsExactly("upstream.keepalive.maxIdlePerBackend: -1 is too small (expected: auto, or a whole number, 0 or more)");
    }

    @Test
    void theIdleCapIsAutoUnlessAWholeNumberIsGiven() throws Exception {
        assertThat(loader.parse(POOLS + "upstream: { keepalive: { maxIdlePerBackend: auto } }\n", "proxy.yaml")
                .upstream().keepalive().maxIdlePerBackend()).isEmpty();
        assertThat(loader.parse(POOLS + "upstream: { keepalive: { maxIdlePerBackend: 1024 } }\n", "proxy.yaml")
                .upstream().keepalive().maxIdlePerBackend()).hasValue(1024);
    }

    @Test
    void environmentReferencesAreReplacedLikeAShellDoes(@TempDir Path dir) throws Exception {
        ProxyConfig c = loader.parse(POOLS + "listen: \"${HOST:-127.0.0.2}:${PORT}\"\nstate: { file: \"${EMPTY:-fallback.json}\" }\n", "proxy.yaml");
        assertThat(c.listen()).isEqualTo(new HostPort("127.0.0.2", 8443));
        assertThat(c.state().file()).contains(Path.of("fallback.json"));
        assertThat(problemsOf(POOLS + "listen: \"${UNSET}:80\"\n").problems()).containsExactly("listen: \":80\" is not host:port");
    }

    @Test
    void aMissingFileNamesThePath(@TempDir Path dir) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader.load(dir.resolve("nope.yaml")));
        assertThat(e.problems()).containsExactly(dir.resolve("nope.yaml") + ": no such file");
    }

    @Test
    void theAccessLogHasItsDefaultsAndBadValuesNameTheKey() throws Exception {
        ProxyConfig.AccessLog defaults = loader.parse(POOLS, "proxy.yaml").accessLog();
        assertThat(defaults).isEqualTo(new ProxyConfig.AccessLog(true, ProxyConfig.AccessLog.Format.JSON, Optional.empty(),
                100L << 20, 14, List.of("/health")));
        assertThat(problemsOf(POOLS + "accessLog: { format: xml, maxFileSize: huge, maxHistory: 0, exclude: [health], level: 1 }\n")
                .problems()).containsExactlyInAnyOrder(
                "accessLog.format: \"xml\" is not a log format (expected: json or combined)",
                "accessLog.maxFileSize: \"huge\" is not a size (expected: bytes, or 8KiB, 1MiB, 2GiB)",
                "accessLog.maxHistory: 0 is too small (expected: >= 1)",
                "accessLog.exclude[0]: \"health\" is not a path (expected: a path starting with /, without a query, such as /health)",
                "accessLog.level: unknown key (expected one of: enabled, format, path, maxFileSize, maxHistory, exclude)");
        assertThat(loader.parse(POOLS + "accessLog: { exclude: [] }\n", "proxy.yaml").accessLog().exclude()).isEmpty();
    }
}
