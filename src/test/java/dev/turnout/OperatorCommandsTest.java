package dev.turnout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.testing.BlueGreenTest;
import dev.turnout.testing.ProxyHarness;
import dev.turnout.testing.RawHttp;
import dev.turnout.testing.TestOrigin;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The operator's commands run in-process against a real Turnout's admin listener. */
class OperatorCommandsTest extends BlueGreenTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CHECKS = "health: { interval: 200ms, timeout: 200ms, rise: 2, fall: 3 }\n";

    private static CommandRun run(Map<String, String> environment, String... args) {
        return CommandRun.of(Turnout.commandLine(environment::get), args);
    }

    private static CommandRun run(String... args) {
        return run(Map.of(), args);
    }

    /** {@code command} and its arguments, aimed at {@code proxy}'s admin listener. */
    private static CommandRun run(ProxyHarness proxy, String command, String... args) {
        String[] all = new String[args.length + 3];
        all[0] = command;
        all[1] = "--admin";
        all[2] = adminUrl(proxy);
        System.arraycopy(args, 0, all, 3, args.length);
        return run(all);
    }

    private static String adminUrl(ProxyHarness proxy) {
        return "http://127.0.0.1:" + proxy.admin().getPort();
    }

    private static String servedBy(ProxyHarness proxy) throws Exception {
        try (RawHttp client = proxy.client()) {
            return client.get("/").header("X-Origin").orElseThrow();
        }
    }

    /** What a run that succeeded printed; it printed nothing on stderr. */
    private static String succeeded(CommandRun r) {
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        return r.out();
    }

    /** One line on stderr with this text, nothing on stdout, and no stack trace. */
    private static void assertOneErrorLine(CommandRun r, String line) {
        assertThat(r.err().lines()).containsExactly(line);
        assertThat(r.out()).isEmpty();
    }

    @Test
    void statusIsATableOfPoolsAndBackendsOrTheApisJson() throws Exception {
        try (ProxyHarness proxy = startProxy("")) {
            String table = succeeded(run(proxy, "status"));
            assertThat(table.lines()).contains(
                    "active      blue (generation 1, previous none)",
                    "watch       none");
            String header = table.lines().filter(l -> l.startsWith("POOL")).findFirst().orElseThrow();
            assertThat(header.split("\\s+")).containsExactly("POOL", "BACKEND", "STATE", "HEALTH", "IN-FLIGHT", "TUNNELS", "IDLE");
            String blueRow = table.lines().filter(l -> l.startsWith("blue ")).findFirst().orElseThrow();
            assertThat(blueRow.indexOf("active")).as("columns aligned").isEqualTo(header.indexOf("STATE"));
            // Health reads "up (not checked yet)" until the first check, "up" after it.
            assertThat(blueRow.replace("up (not checked yet)", "up").split("\\s{2,}"))
                    .containsExactly("blue", blue.address(), "active", "up", "0", "0", "0");
            assertThat(table.lines().filter(l -> l.startsWith("green ")).findFirst().orElseThrow()
                    .replace("up (not checked yet)", "up").split("\\s{2,}"))
                    .containsExactly("green", green.address(), "standby", "up", "0", "0", "0");

            CommandRun json = run(proxy, "status", "--json");
            assertThat(json.exit()).isZero();
            JsonNode status = JSON.readTree(json.out());
            assertThat(status.get("active").asText()).isEqualTo("blue");
            assertThat(status.get("generation").asLong()).isEqualTo(1);
            assertThat(status.get("pools").get("green").get("backends").get(0).get("address").asText()).isEqualTo(green.address());
        }
    }

    @Test
    void switchMovesTrafficAndPrintsTheFlipAndTheDrain() throws Exception {
        try (ProxyHarness proxy = startProxy("")) {
            List<String> flip = succeeded(run(proxy, "switch")).lines().toList();
            assertThat(flip).hasSize(2);
            assertThat(flip.get(0)).isEqualTo("switched from blue to green (generation 2)");
            assertThat(flip.get(1)).matches("blue drained in \\d+ ms \\(0 request\\(s\\) in flight at the flip\\)");
            assertThat(servedBy(proxy)).isEqualTo("green");

            CommandRun back = run(proxy, "switch", "--to", "blue", "--no-wait", "--force");
            assertThat(back.exit()).isZero();
            assertThat(back.out().lines()).containsExactly(
                    "switched from green to blue (generation 3, forced: the gate was skipped)",
                    "not waiting for green to drain: 0 request(s) in flight there at the flip");
            assertThat(servedBy(proxy)).isEqualTo("blue");

            CommandRun same = run(proxy, "switch", "--to", "blue");
            assertThat(same.exit()).isZero();
            assertThat(same.out().lines()).containsExactly("blue is active already (generation 3): nothing changed");

            CommandRun unknown = run(proxy, "switch", "--to", "purple");
            assertThat(unknown.exit()).isEqualTo(2);
            assertOneErrorLine(unknown, "turnout: no pool named \"purple\" (pools: blue, green)");
        }
    }

    @Test
    void aSwitchToAPoolWhoseBackendIsDownIsRefusedByTheGateWithExit3AndTheReason() throws Exception {
        try (ProxyHarness proxy = startProxy(CHECKS)) {
            green.close();
            await().untilAsserted(() -> assertThat(proxy.admin("GET", "/admin/status").json()
                    .get("pools").get("green").get("healthy").asInt()).isZero());

            CommandRun r = run(proxy, "switch", "--to", "green");
            assertThat(r.exit()).isEqualTo(3);
            assertOneErrorLine(r, "turnout: the switch gate refused green (unhealthy): 0 of 1 backends healthy, switch.minHealthy is 1 ["
                    + green.address() + ": connection refused]");
            assertThat(servedBy(proxy)).isEqualTo("blue");

            CommandRun status = run(proxy, "status");
            assertThat(status.out().lines().filter(l -> l.startsWith("green ")).findFirst().orElseThrow().split("\\s{2,}"))
                    .containsExactly("green", green.address(), "standby", "down (connection refused)", "0", "0", "0");
        }
    }

    @Test
    void anAdminApiThatCannotBeReachedIsOneLineAndExit1() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        for (String command : new String[] {"status", "switch", "rollback", "history", "reload"}) {
            CommandRun r = run(command, "--admin", "http://127.0.0.1:" + port);
            assertThat(r.exit()).as(command).isEqualTo(1);
            assertOneErrorLine(r, "turnout: cannot reach the admin API at http://127.0.0.1:" + port + "/: connection refused");
        }
    }

    @Test
    void badArgumentsAreOneLineAndExit2() {
        CommandRun flag = run("switch", "--bogus");
        assertThat(flag.exit()).isEqualTo(2);
        assertOneErrorLine(flag, "turnout: switch: Unknown option: '--bogus' (see turnout switch --help)");

        CommandRun watch = run("switch", "--watch", "soon");
        assertThat(watch.exit()).isEqualTo(2);
        assertOneErrorLine(watch, "turnout: switch: Invalid value for option '--watch': \"soon\" is not a duration "
                + "(expected: above zero, like 90s, 5m, 1h) (see turnout switch --help)");

        CommandRun admin = run("status", "--admin", "ftp://127.0.0.1:9090");
        assertThat(admin.exit()).isEqualTo(2);
        assertOneErrorLine(admin, "turnout: status: Invalid value for option '--admin': \"ftp://127.0.0.1:9090\" is not an admin URL "
                + "(expected: http://HOST:PORT) (see turnout status --help)");

        CommandRun limit = run("history", "--limit", "0");
        assertThat(limit.exit()).isEqualTo(2);
        assertOneErrorLine(limit, "turnout: history: --limit: 0 (expected: 1 or more) (see turnout history --help)");

        assertThat(run("status", "extra").exit()).isEqualTo(2);
    }

    @Test
    void eachCommandHasHelp() {
        for (String command : new String[] {"status", "switch", "rollback", "history", "reload"}) {
            CommandRun help = run(command, "--help");
            assertThat(help.exit()).as(command).isZero();
            assertThat(help.out()).as(command).contains("Usage: turnout " + command, "--admin=URL", "TURNOUT_ADMIN_TOKEN");
        }
        assertThat(run("switch", "--help").out()).contains("--to=POOL", "--force", "--no-wait", "--watch=DURATION");
        assertThat(run("history", "--help").out()).contains("--limit=N");
        assertThat(run("--help").out()).contains("status", "switch", "rollback", "history", "reload");
    }

    @Test
    void aTokenInTheConfigNeedsTurnoutAdminToken() throws Exception {
        try (ProxyHarness proxy = startProxy("admin: { listen: 127.0.0.1:0, token: s3cret-token }\n")) {
            String url = adminUrl(proxy);
            CommandRun none = run("status", "--admin", url);
            assertThat(none.exit()).isEqualTo(1);
            assertOneErrorLine(none, "turnout: the admin API at " + url + "/ needs a token: set TURNOUT_ADMIN_TOKEN to its admin.token "
                    + "(401 unauthorized)");

            CommandRun wrong = run(Map.of("TURNOUT_ADMIN_TOKEN", "guess"), "switch", "--admin", url);
            assertThat(wrong.exit()).isEqualTo(1);
            assertOneErrorLine(wrong, "turnout: the admin API at " + url + "/ refused the token in TURNOUT_ADMIN_TOKEN (401 unauthorized)");
            assertThat(servedBy(proxy)).isEqualTo("blue");

            CommandRun right = run(Map.of("TURNOUT_ADMIN_TOKEN", "s3cret-token"), "switch", "--admin", url);
            assertThat(right.exit()).isZero();
            assertThat(servedBy(proxy)).isEqualTo("green");
        }
    }

    @Test
    void rollbackFlipsBackAndIsExit3WithNothingToRollBackTo() throws Exception {
        try (ProxyHarness proxy = startProxy("")) {
            CommandRun nothing = run(proxy, "rollback");
            assertThat(nothing.exit()).isEqualTo(3);
            assertOneErrorLine(nothing, "turnout: refused (no_previous_pool): nothing to roll back to: no flip has happened yet");

            assertThat(run(proxy, "switch").exit()).isZero();
            CommandRun r = run(proxy, "rollback");
            assertThat(r.exit()).isZero();
            assertThat(r.out().lines().findFirst().orElseThrow()).isEqualTo("rolled back from green to blue (generation 3)");
            assertThat(servedBy(proxy)).isEqualTo("blue");
        }
    }

    @Test
    void historyListsTheNewestFlipsUpToTheLimit() throws Exception {
        try (ProxyHarness proxy = startProxy("")) {
            assertThat(run(proxy, "history").out()).isEqualTo("no flips yet" + System.lineSeparator());
            run(proxy, "switch");
            run(proxy, "rollback");

            CommandRun all = run(proxy, "history");
            assertThat(all.exit()).isZero();
            assertThat(all.out().lines()).hasSize(3);
            assertThat(all.out().lines().findFirst().orElseThrow().split("\\s+"))
                    .containsExactly("AT", "FROM", "TO", "GENERATION", "REASON", "BY", "DRAIN", "DETAIL");

            CommandRun newest = run(proxy, "history", "--limit", "1");
            assertThat(newest.exit()).isZero();
            assertThat(newest.out().lines()).hasSize(2);
            String[] row = newest.out().lines().skip(1).findFirst().orElseThrow().split("\\s{2,}");
            assertThat(row).hasSize(7);
            assertThat(row[1]).isEqualTo("green");
            assertThat(row[2]).isEqualTo("blue");
            assertThat(row[3]).isEqualTo("3");
            assertThat(row[4]).isEqualTo("rollback");
            assertThat(row[5]).isEqualTo("127.0.0.1");
            assertThat(row[6]).matches("\\d+ ms");

            JsonNode json = JSON.readTree(run(proxy, "history", "--limit", "1", "--json").out());
            assertThat(json).hasSize(1);
            assertThat(json.get(0).get("reason").asText()).isEqualTo("rollback");
        }
    }

    @Test
    void reloadPrintsWhatChangedAndARefusalIsOneLineAndExit1() throws Exception {
        try (TestOrigin blue2 = TestOrigin.start("blue2");
             ProxyHarness proxy = startProxy("")) {
            proxy.rewriteConfig(dir, "pools:\n  blue: { backends: [\"" + blue.address() + "\", \"" + blue2.address() + "\"] }\n"
                    + "  green: { backends: [\"" + green.address() + "\"] }\n");
            CommandRun r = run(proxy, "reload");
            assertThat(r.exit()).isZero();
            assertThat(r.out().lines()).containsExactly(
                    "reloaded (active blue, generation 1)",
                    "  changed           pools.blue.backends: added " + blue2.address());

            CommandRun unchanged = run(proxy, "reload");
            assertThat(unchanged.out().lines()).containsExactly("reloaded (active blue, generation 1)", "  nothing changed");

            proxy.rewriteConfig(dir, ProxyHarness.twoPools(blue, green) + "upstream: { connectTimeout: fast }\n");
            CommandRun refused = run(proxy, "reload");
            assertThat(refused.exit()).isEqualTo(1);
            assertOneErrorLine(refused, "turnout: reload refused, the running config keeps serving: "
                    + "upstream.connectTimeout: \"fast\" is not a duration (expected: 500ms, 10s, 2m)");
        }
    }

    @Test
    void switchWatchFollowsTheNewPoolAndEndsWith0WhenItStaysActive() throws Exception {
        try (ProxyHarness proxy = startProxy("")) {
            CommandRun r = run(proxy, "switch", "--watch", "3s");
            assertThat(r.exit()).isZero();
            assertThat(r.err()).isEmpty();
            assertThat(r.out().lines()).contains("watching green for 3s", "green stayed active for 3s");
            assertThat(r.out().lines().filter(l -> l.matches("  \\+\\d+s  green: [0-9.]+ req/s, error rate [0-9.]+, p99 \\S+( ms)?, 0 in flight; rollback watch green: \\d+ requests, .*")))
                    .isNotEmpty();
        }
    }

    @Test
    void switchWatchEndsWith4WhenTheNewPoolIsRolledBackAutomatically() throws Exception {
        try (ProxyHarness proxy = startProxy("trustedProxies: [127.0.0.1]\n"
                + "rollback: { auto: true, window: 5m, maxErrorRate: 0.05, minRequests: 20, minClients: 3 }\n")) {
            green.answerAll(500);
            CompletableFuture<CommandRun> watching = CompletableFuture.supplyAsync(() -> run(proxy, "switch", "--watch", "5m"));
            await().until(() -> proxy.server().traffic().current().active().name().equals("green"));
            try (RawHttp client = proxy.client()) {
                for (int sent = 0; proxy.server().traffic().current().active().name().equals("green") && sent < 40; sent++) {
                    client.get("/chat", "X-Forwarded-For: 203.0.113." + sent % 4);
                }
            }
            // A guard against a watch that never ends, not a timing assertion.
            CommandRun r = watching.get(2, TimeUnit.MINUTES);
            assertThat(r.exit()).isEqualTo(4);
            assertThat(r.out().lines()).startsWith("switched from blue to green (generation 2)");
            assertThat(r.err().lines()).containsExactly(
                    "turnout: green is no longer active: auto-rollback to blue by turnout: error rate 1.00 over 20 requests");
        }
    }
}
