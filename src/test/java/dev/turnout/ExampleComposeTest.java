package dev.turnout;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.turnout.config.ConfigLoader;
import dev.turnout.config.Durations;
import dev.turnout.config.HostPort;
import dev.turnout.config.ProxyConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * examples/blue-green without Docker: compose.yaml is YAML with the services, ports and volume the
 * walkthrough relies on, its proxy.yaml passes {@code turnout check}, and the two agree.
 */
class ExampleComposeTest {

    private static final Path EXAMPLE = ExampleDeployTest.EXAMPLE;

    private static JsonNode compose() throws Exception {
        return new ObjectMapper(new YAMLFactory()).readTree(EXAMPLE.resolve("compose.yaml").toFile());
    }

    private static ProxyConfig proxyYaml() throws Exception {
        return new ConfigLoader(Map.of("TURNOUT_ADMIN_TOKEN", "a-token")::get).load(EXAMPLE.resolve("proxy.yaml"));
    }

    private static List<String> texts(JsonNode list) {
        List<String> texts = new ArrayList<>();
        list.forEach(item -> texts.add(item.asText()));
        return texts;
    }

    /** {@code turnout check} on the example's proxy.yaml, as its own process: the exit code and the output. */
    private static CommandRun check(Map<String, String> environment) throws Exception {
        List<String> command = new ArrayList<>(ExampleDeployTest.turnoutCommand());
        command.addAll(List.of("check", "--config", EXAMPLE.resolve("proxy.yaml").toString()));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().remove("TURNOUT_ADMIN_TOKEN");
        builder.environment().putAll(environment);
        Process p = builder.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();
        return new CommandRun(p.exitValue(), out, err);
    }

    @Test
    void composeHasTheTwoColoursAndTurnoutBuiltFromThisRepository() throws Exception {
        JsonNode services = compose().get("services");
        assertThat(services.fieldNames()).toIterable().containsExactly("blue", "green", "turnout");
        for (String colour : List.of("blue", "green")) {
            JsonNode app = services.get(colour);
            assertThat(app.get("image").asText()).as(colour).startsWith("${APP_IMAGE");
            assertThat(texts(app.get("healthcheck").get("test"))).as(colour).isNotEmpty();
        }

        JsonNode turnout = services.get("turnout");
        assertThat(EXAMPLE.resolve(turnout.get("build").asText()).resolve("Dockerfile")).exists();
        assertThat(texts(turnout.get("ports"))).containsExactly("80:8080", "127.0.0.1:9090:9090");
        assertThat(turnout.get("environment").get("TURNOUT_ADMIN_TOKEN").asText()).startsWith("${TURNOUT_ADMIN_TOKEN:?");
        assertThat(texts(turnout.get("volumes"))).containsExactly(
                "./proxy.yaml:/etc/turnout/proxy.yaml:ro", "turnout-state:/var/lib/turnout");
        assertThat(compose().get("volumes").has("turnout-state")).isTrue();
    }

    @Test
    void composeAndProxyYamlAgree() throws Exception {
        JsonNode turnout = compose().get("services").get("turnout");
        ProxyConfig config = proxyYaml();
        // The published container ports are the ones Turnout listens on.
        assertThat(config.listen()).isEqualTo(new HostPort("0.0.0.0", 8080));
        assertThat(config.admin().listen()).isEqualTo(new HostPort("0.0.0.0", 9090));
        // The pools are the compose services, on the port the apps' health checks use.
        assertThat(config.pools()).allSatisfy(pool -> assertThat(pool.backends()).containsExactly(new HostPort(pool.name(), 8000)));
        assertThat(config.pools().stream().map(ProxyConfig.PoolSpec::name)).containsExactly("blue", "green");
        // docker compose stop waits for the drain instead of killing requests in flight.
        assertThat(Durations.parse(turnout.get("stop_grace_period").asText()).orElseThrow())
                .isGreaterThan(config.drain().timeout().plus(config.shutdown().delay()));
    }

    @Test
    void proxyYamlPassesTurnoutCheckWithTheTokenAndNotWithout() throws Exception {
        CommandRun ok = check(Map.of("TURNOUT_ADMIN_TOKEN", "a-token"));
        assertThat(ok.exit()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("\n  admin       0.0.0.0:9090\n", "\n  admin auth  bearer token");

        CommandRun none = check(Map.of());
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains("admin.token");
    }

    @Test
    void deployShIsShellcheckClean() throws Exception {
        Path shellcheck = Path.of("/usr/bin/shellcheck");
        assertThat(Files.isExecutable(shellcheck)).as("the test needs shellcheck: apt-get install -y shellcheck (.ci/run does)").isTrue();
        Process p = new ProcessBuilder(shellcheck.toString(), EXAMPLE.resolve("deploy.sh").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }
}
