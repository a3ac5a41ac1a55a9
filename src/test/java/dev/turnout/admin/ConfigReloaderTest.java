package dev.turnout.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.config.ConfigLoader;
import dev.turnout.config.ProxyConfig;
import dev.turnout.routing.TrafficSwitch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reload rules that need no listener: the switch is built from config alone. */
class ConfigReloaderTest {

    private static final String POOLS = "pools:\n  blue: { backends: [\"127.0.0.1:1\"] }\n  green: { backends: [\"127.0.0.1:2\"] }\n";

    @TempDir
    Path dir;

    @Test
    void aReloadCannotTakeTheTokenAwayFromAnAdminListenerOtherHostsReach() throws Exception {
        ConfigLoader loader = new ConfigLoader(name -> null);
        ProxyConfig running = loader.parse("admin: { listen: 0.0.0.0:9090, token: t0k3n }\n" + POOLS, "proxy.yaml");
        TrafficSwitch traffic = TrafficSwitch.start(running, "blue", Optional.empty(), 1);
        Path file = dir.resolve("proxy.yaml");
        Files.writeString(file, "admin: { listen: 127.0.0.1:9090 }\n" + POOLS);

        ConfigReloader.Result r = new ConfigReloader(Optional.of(file), loader, traffic, Optional.empty(), null, Runnable::run).reload().get();

        assertThat(r.applied()).isFalse();
        assertThat(r.problems()).containsExactly("admin.token: cannot be removed while the admin listener 0.0.0.0:9090 "
                + "is reachable from other hosts (move admin.listen to 127.0.0.1 and restart first)");
        assertThat(traffic.current().config().admin().token()).contains("t0k3n");
    }

    @Test
    void keysOnlyARestartAppliesKeepTheirRunningValues() throws Exception {
        ConfigLoader loader = new ConfigLoader(name -> null);
        ProxyConfig running = loader.parse("listen: 127.0.0.1:8080\n" + POOLS, "proxy.yaml");
        TrafficSwitch traffic = TrafficSwitch.start(running, "blue", Optional.empty(), 1);
        Path file = dir.resolve("proxy.yaml");
        Files.writeString(file, "listen: 127.0.0.1:8081\nstate: { file: elsewhere.json }\n" + POOLS);

        ConfigReloader.Result r = new ConfigReloader(Optional.of(file), loader, traffic, Optional.empty(), null, Runnable::run).reload().get();

        assertThat(r.restartRequired()).containsExactly("listen: 127.0.0.1:8080 -> 127.0.0.1:8081",
                "state.file: turnout-state.json -> elsewhere.json");
        assertThat(traffic.current().config().listen().toString()).isEqualTo("127.0.0.1:8080");
        assertThat(traffic.current().config().state().file()).contains(Path.of("turnout-state.json"));
    }
}
