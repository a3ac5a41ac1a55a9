package dev.turnout.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.turnout.TurnoutServer;
import dev.turnout.config.ConfigLoader;
import dev.turnout.config.ProxyConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;

/** A Turnout started in-process on 127.0.0.1 with free ports, its state file in a test's temp dir. */
public final class ProxyHarness implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final TurnoutServer server;

    private ProxyHarness(TurnoutServer server) {
        this.server = server;
    }

    /** {@code yaml} holds pools and any other keys; listen, admin and state are filled in. */
    public static ProxyHarness start(Path dir, String yaml) throws Exception {
        Path file = dir.resolve("proxy.yaml");
        java.nio.file.Files.createDirectories(dir);
        java.nio.file.Files.writeString(file, fullYaml(dir, yaml));
        TurnoutServer server = TurnoutServer.start(config(dir, yaml), Optional.of(file));
        server.announce();
        return new ProxyHarness(server);
    }

    public static ProxyConfig config(Path dir, String yaml) throws Exception {
        return new ConfigLoader(name -> null).parse(fullYaml(dir, yaml), "test");
    }

    /**
     * The test's keys plus free ports and a state file in {@code dir}, unless the test sets them
     * itself; the access log is off unless the test sets it (a line per request to stdout would
     * bury the build's output; AccessLogTest tests the log), and so is the warm-up (five seconds per
     * start; WarmupTest tests it).
     */
    public static String fullYaml(Path dir, String yaml) {
        return (yaml.matches("(?s)(.*\n)?listen:.*") ? "" : "listen: 127.0.0.1:0\n")
                + (yaml.matches("(?s)(.*\n)?admin:.*") ? "" : "admin: { listen: 127.0.0.1:0 }\n")
                + (yaml.matches("(?s)(.*\n)?accessLog:.*") ? "" : "accessLog: { enabled: false }\n")
                + (yaml.matches("(?s)(.*\n)?startup:.*") ? "" : "startup: { warmup: 0s }\n")
                + "state: { file: " + dir.resolve("state.json") + " }\n"
                + yaml;
    }

    /** Rewrites this Turnout's proxy.yaml, for a reload to pick up. */
    public void rewriteConfig(Path dir, String yaml) throws IOException {
        java.nio.file.Files.writeString(dir.resolve("proxy.yaml"), fullYaml(dir, yaml));
    }

    /** Pools blue and green, each with the given origins as backends. */
    public static String twoPools(TestOrigin blue, TestOrigin green) {
        return "pools:\n"
                + "  blue: { backends: [\"" + blue.address() + "\"] }\n"
                + "  green: { backends: [\"" + green.address() + "\"] }\n";
    }

    public TurnoutServer server() {
        return server;
    }

    public InetSocketAddress proxy() {
        return server.proxyAddress();
    }

    public InetSocketAddress admin() {
        return server.adminAddress();
    }

    public RawHttp client() throws IOException {
        return RawHttp.connect(proxy());
    }

    /** One admin call on a fresh connection; the answer's body parsed as JSON. */
    public Admin admin(String method, String path) throws IOException {
        try (RawHttp http = RawHttp.connect(admin())) {
            http.send(method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n");
            RawHttp.Response r = http.read(false);
            return new Admin(r.status(), JSON.readTree(r.body()));
        }
    }

    public record Admin(int status, JsonNode json) {}

    public static JsonNode json(RawHttp.Response response) throws IOException {
        return JSON.readTree(response.body());
    }

    @Override
    public void close() {
        server.close();
    }
}
