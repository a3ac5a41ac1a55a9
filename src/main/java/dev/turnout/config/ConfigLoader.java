package dev.turnout.config;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/** Reads proxy.yaml into a {@link ProxyConfig}, collecting every problem instead of stopping at the first. */
public final class ConfigLoader {

    public static final HostPort DEFAULT_LISTEN = new HostPort("0.0.0.0", 8080);
    public static final HostPort DEFAULT_ADMIN_LISTEN = new HostPort("127.0.0.1", 9090);
    public static final String DEFAULT_STATE_FILE = "turnout-state.json";
    public static final HostPort DEFAULT_TLS_LISTEN = new HostPort("0.0.0.0", 8443);
    private static final List<String> TLS_PROTOCOLS = List.of("TLSv1.2", "TLSv1.3");

    /** Long enough for the JIT to compile the request path on 2 cores (bench/README.md, "Warm-up"). */
    public static final Duration DEFAULT_WARMUP = Duration.ofSeconds(5);
    private static final Duration MAX_WARMUP = Duration.ofSeconds(60);
    public static final String DEFAULT_EDGE_HEALTH_PATH = "/turnout/health";
    private static final Pattern EDGE_HEALTH_PATH = Pattern.compile("/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*");
    private static final Pattern METHOD = Pattern.compile("[A-Z]{1,20}");
    private static final Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9!#$%&'*+.^_`|~-]+");
    private static final Pattern POOL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,62}");
    private static final ObjectMapper YAML = new ObjectMapper(
            YAMLFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

    private final Function<String, String> env;

    public ConfigLoader(Function<String, String> env) {
        this.env = env;
    }

    public static ConfigLoader fromEnvironment() {
        return new ConfigLoader(System::getenv);
    }

    public ProxyConfig load(Path file) throws ConfigException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(List.of(file + ": no such file"));
        } catch (IOException e) {
            throw new ConfigException(List.of(file + ": cannot be read (" + e.getMessage() + ")"));
        }
        return parse(text, file.toString());
    }

    public ProxyConfig parse(String yaml, String source) throws ConfigException {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new ConfigException(List.of(source + ": not valid YAML " + yamlProblem(e)));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw new ConfigException(List.of(source + ": is empty (expected: at least a pools mapping)"));
        }
        if (!root.isObject()) {
            throw new ConfigException(List.of(source + ": is not a mapping of keys (expected: listen, admin, pools, ...)"));
        }
        List<String> problems = new ArrayList<>();
        ProxyConfig config = read(new Section(root, "", problems, new EnvSubstitution(env)));
        if (!problems.isEmpty()) {
            throw new ConfigException(problems);
        }
        return config;
    }

    /** SnakeYAML's message spans several lines with an excerpt; one line with the position is what a terminal needs. */
    private static String yamlProblem(JsonProcessingException e) {
        if (e.getCause() instanceof MarkedYAMLException marked && marked.getProblemMark() != null) {
            return "at line " + (marked.getProblemMark().getLine() + 1) + ", column " + (marked.getProblemMark().getColumn() + 1)
                    + " (" + marked.getProblem() + ")";
        }
        String where = e.getLocation() == null ? "" : "at line " + e.getLocation().getLineNr() + " ";
        return where + "(" + e.getOriginalMessage().lines().findFirst().orElse("") + ")";
    }

    private static ProxyConfig read(Section root) {
        HostPort listen = root.hostPort("listen", DEFAULT_LISTEN);

        Section adminSection = root.section("admin");
        HostPort adminListen = adminSection.hostPort("listen", DEFAULT_ADMIN_LISTEN);
        Optional<String> token = adminSection.text("token").filter(t -> !t.isEmpty());
        if (token.isPresent() && !token.get().equals(token.get().strip())) {
            // The presented token is trimmed, so a padded one could never match.
            root.problem(adminSection.pathOf("token"), "has leading or trailing whitespace (expected: the token alone)");
        }
        if (token.isEmpty() && !adminListen.isLoopback()) {
            root.problem(adminSection.pathOf("listen"), Section.quote(adminListen.toString()) + " is reachable from other hosts, "
                    + "so admin.token must be set (expected: token: ${TURNOUT_ADMIN_TOKEN}, or listen on 127.0.0.1)");
        }
        ProxyConfig.Admin admin = new ProxyConfig.Admin(adminListen, token);
        adminSection.rejectUnknownKeys();

        List<ProxyConfig.PoolSpec> pools = readPools(root);

        String active = root.text("active").filter(s -> !s.isEmpty())
                .orElse(pools.isEmpty() ? "" : pools.get(0).name());
        List<String> names = pools.stream().map(ProxyConfig.PoolSpec::name).toList();
        if (!pools.isEmpty() && !names.contains(active)) {
            root.problem("active", Section.quote(active) + " is not a pool (expected one of: " + String.join(", ", names) + ")");
        }

        Section stateSection = root.section("state");
        String stateFile = stateSection.text("file", DEFAULT_STATE_FILE);
        stateSection.rejectUnknownKeys();

        Section up = root.section("upstream");
        Duration connectTimeout = up.positiveDuration("connectTimeout", Duration.ofSeconds(10));
        Duration firstByteTimeout = up.positiveDuration("firstByteTimeout", Duration.ofSeconds(60));
        Duration readTimeout = up.positiveDuration("readTimeout", Duration.ofSeconds(30));
        Duration writeTimeout = up.positiveDuration("writeTimeout", Duration.ofSeconds(30));
        Section ka = up.section("keepalive");
        ProxyConfig.Keepalive keepalive = new ProxyConfig.Keepalive(
                idleCap(ka),
                ka.positiveDuration("idleTimeout", Duration.ofSeconds(60)),
                ka.integer("maxRequestsPerConnection", 1000, 1));
        ka.rejectUnknownKeys();
        up.rejectUnknownKeys();

        Section drainSection = root.section("drain");
        ProxyConfig.Drain drain = new ProxyConfig.Drain(drainSection.positiveDuration("timeout", Duration.ofSeconds(120)),
                drainSection.positiveDurationOrOff("closeTunnels"));
        drainSection.rejectUnknownKeys();
        Section startupSection = root.section("startup");
        ProxyConfig.Startup startup = new ProxyConfig.Startup(startupSection.duration("warmup", DEFAULT_WARMUP));
        if (startup.warmup().compareTo(MAX_WARMUP) > 0) {
            startupSection.problem(startupSection.pathOf("warmup"), Durations.format(startup.warmup())
                    + " is too long (expected: a duration up to " + Durations.format(MAX_WARMUP) + ", or 0s for none)");
        }
        startupSection.rejectUnknownKeys();
        Section shutdownSection = root.section("shutdown");
        ProxyConfig.Shutdown shutdown = new ProxyConfig.Shutdown(shutdownSection.duration("delay", Duration.ZERO));
        shutdownSection.rejectUnknownKeys();

        ProxyConfig.Health health = readHealth(root.section("health"));
        ProxyConfig.EdgeHealth edgeHealth = readEdgeHealth(root.section("edgeHealth"));
        ProxyConfig.Gate gate = readGate(root.section("switch"));
        for (ProxyConfig.PoolSpec pool : pools) {
            if (!pool.backends().isEmpty() && pool.backends().size() < gate.minHealthy()) {
                root.problem("switch.minHealthy", gate.minHealthy() + " is more than pool " + pool.name() + " has backends ("
                        + pool.backends().size() + "), so no switch to it could pass (expected: at most " + pool.backends().size() + ")");
            }
        }
        Section retrySection = root.section("retry");
        ProxyConfig.Retry retry = new ProxyConfig.Retry(retrySection.integer("attempts", 2, 1));
        retrySection.rejectUnknownKeys();
        ProxyConfig.Preview preview = readPreview(root);
        ProxyConfig.Rollback rollback = readRollback(root.section("rollback"));
        ProxyConfig.Limits limits = readLimits(root.section("limits"));
        Section headersSection = root.section("headers");
        ProxyConfig.Headers headers = new ProxyConfig.Headers(headersSection.bool("allowUnderscores", false));
        headersSection.rejectUnknownKeys();
        List<Cidr> trusted = new ArrayList<>();
        List<String> rawTrusted = root.textList("trustedProxies");
        for (int i = 0; i < rawTrusted.size(); i++) {
            String item = rawTrusted.get(i);
            Optional<Cidr> range = item == null ? Optional.empty() : Cidr.parse(item);
            if (range.isPresent()) {
                trusted.add(range.get());
            } else if (item != null) {
                root.problem("trustedProxies[" + i + "]",
                        Section.quote(item) + " is not an address range (expected: 10.0.0.0/8, 192.168.1.7 or fd00::/8)");
            }
        }

        Optional<ProxyConfig.Tls> tls = readTls(root);
        ProxyConfig.Http2 http2 = readHttp2(root.section("http2"), limits);
        Section loggingSection = root.section("logging");
        ProxyConfig.Logging logging = new ProxyConfig.Logging(
                choice(loggingSection, "level", "info", List.of("debug", "info", "warn", "error"), "a level"),
                choice(loggingSection, "format", "text", List.of("text", "json"), "a log format"));
        loggingSection.rejectUnknownKeys();
        ProxyConfig.AccessLog accessLog = readAccessLog(root.section("accessLog"));
        Optional<ProxyConfig.Cluster> cluster = ClusterSection.read(root);

        root.rejectUnknownKeys();
        return new ProxyConfig(listen, admin, pools, active,
                new ProxyConfig.State(Optional.of(Path.of(stateFile))),
                new ProxyConfig.Upstream(connectTimeout, firstByteTimeout, readTimeout, writeTimeout, keepalive),
                drain,
                health, gate, retry, preview, rollback, limits, headers, trusted, tls, http2, accessLog, edgeHealth, startup, shutdown, logging, cluster);
    }

    /** HTTPS is off unless the section is there: without certificates there is nothing to serve. */
    private static Optional<ProxyConfig.Tls> readTls(Section root) {
        boolean present = root.has("tls");
        Section t = root.section("tls");
        if (!present) {
            return Optional.empty();
        }
        HostPort listen = t.hostPort("listen", DEFAULT_TLS_LISTEN);
        List<ProxyConfig.Certificate> certificates = new ArrayList<>();
        for (Section c : t.sectionList("certificates")) {
            String cert = c.text("cert", "");
            String key = c.text("key", "");
            if (cert.isEmpty()) {
                c.problem(c.pathOf("cert"), "is missing (expected: the PEM file of the certificate chain, such as /etc/turnout/fullchain.pem)");
            }
            if (key.isEmpty()) {
                c.problem(c.pathOf("key"), "is missing (expected: the PEM file of its private key, such as /etc/turnout/privkey.pem)");
            }
            c.rejectUnknownKeys();
            certificates.add(new ProxyConfig.Certificate(Path.of(cert), Path.of(key)));
        }
        if (certificates.isEmpty()) {
            t.problem(t.pathOf("certificates"), "is missing or empty (expected: - { cert: /etc/turnout/fullchain.pem, key: /etc/turnout/privkey.pem })");
        }
        List<String> protocols = oneOf(t, "protocols", List.of("TLSv1.2", "TLSv1.3"), TLS_PROTOCOLS,
                "TLSv1 and TLSv1.1 are broken and refused; expected: TLSv1.2, TLSv1.3");
        List<String> ciphers = t.textList("ciphers");
        List<String> alpn = oneOf(t, "alpn", List.of("h2", "http/1.1"), List.of("h2", "http/1.1"), "expected: h2, http/1.1");
        boolean redirect = t.bool("redirectHttp", false);
        int redirectPort = t.integer("redirectPort", 443, 1);
        if (redirectPort > 65535) {
            t.problem(t.pathOf("redirectPort"), redirectPort + " is not a port (expected: 1 to 65535)");
        }
        Optional<String> hsts = t.text("hsts").filter(h -> !h.isBlank());
        if (hsts.isPresent() && !hsts.get().strip().chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
            // It is written into every HTTPS answer's head: a line break (a YAML block scalar ends in one) would end the head early.
            t.problem(t.pathOf("hsts"), "is not one line of printable ASCII (expected: max-age=31536000; includeSubDomains)");
        }
        hsts = hsts.map(String::strip);
        t.rejectUnknownKeys();
        return Optional.of(new ProxyConfig.Tls(listen, certificates, protocols, ciphers, alpn, redirect, redirectPort, hsts));
    }

    /** {@code maxIdlePerBackend}: {@code auto} (the default, empty) or a whole number, {@code 0} or more. */
    private static OptionalInt idleCap(Section ka) {
        String raw = ka.text("maxIdlePerBackend", "auto").trim();
        if (raw.equalsIgnoreCase("auto")) {
            return OptionalInt.empty();
        }
        String expected = " (expected: auto, or a whole number, 0 or more)";
        try {
            int cap = Integer.parseInt(raw);
            if (cap < 0) {
                ka.problem(ka.pathOf("maxIdlePerBackend"), cap + " is too small" + expected);
                return OptionalInt.empty();
            }
            return OptionalInt.of(cap);
        } catch (NumberFormatException e) {
            ka.problem(ka.pathOf("maxIdlePerBackend"), Section.quote(raw) + " is not auto or a whole number" + expected);
            return OptionalInt.empty();
        }
    }

    /** A single value that must be one of {@code allowed}, in any case; absent or empty means {@code fallback}. */
    static String choice(Section s, String key, String fallback, List<String> allowed, String what) {
        String value = s.text(key, fallback).toLowerCase(java.util.Locale.ROOT);
        if (!allowed.contains(value)) {
            s.problem(s.pathOf(key), Section.quote(s.text(key, fallback)) + " is not " + what + " (expected: "
                    + String.join(", ", allowed) + ")");
            return fallback;
        }
        return value;
    }

    /** A list whose items must each be one of {@code allowed}; absent or empty means {@code fallback}. */
    private static List<String> oneOf(Section s, String key, List<String> fallback, List<String> allowed, String expected) {
        List<String> raw = s.textList(key);
        for (int i = 0; i < raw.size(); i++) {
            String item = raw.get(i);
            if (item != null && !allowed.contains(item)) {
                s.problem(s.pathOf(key) + "[" + i + "]", Section.quote(item) + " is not allowed (" + expected + ")");
            }
        }
        return raw.isEmpty() ? fallback : raw.stream().filter(allowed::contains).toList();
    }

    private static ProxyConfig.Http2 readHttp2(Section h, ProxyConfig.Limits limits) {
        ProxyConfig.Http2 http2 = new ProxyConfig.Http2(
                h.integer("maxConcurrentStreams", 100, 1),
                (int) h.size("initialWindowSize", 1 << 20, 65_535, Integer.MAX_VALUE),
                (int) h.size("maxHeaderListSize", limits.maxHeaderBytes(), 1 << 10, 1 << 24),
                h.bool("cleartext", false));
        h.rejectUnknownKeys();
        return http2;
    }

    /** On by default: a load balancer in front needs Turnout's own health on the port it sends traffic to. */
    private static ProxyConfig.EdgeHealth readEdgeHealth(Section e) {
        // text(key) rather than text(key, fallback): an empty value is not the default here, it turns the answer off.
        String path = e.text("path").orElse(DEFAULT_EDGE_HEALTH_PATH);
        if (!path.isEmpty() && !EDGE_HEALTH_PATH.matcher(path).matches()) {
            e.problem(e.pathOf("path"), Section.quote(path) + " is not a path (expected: /turnout/health or another path starting"
                    + " with /, without ? or #, or \"\" for off)");
        }
        e.rejectUnknownKeys();
        return new ProxyConfig.EdgeHealth(Optional.of(path).filter(p -> !p.isEmpty()));
    }

    private static ProxyConfig.AccessLog readAccessLog(Section a) {
        boolean enabled = a.bool("enabled", true);
        String formatName = a.text("format", "json");
        ProxyConfig.AccessLog.Format format = ProxyConfig.AccessLog.Format.JSON;
        if (formatName.equals("combined")) {
            format = ProxyConfig.AccessLog.Format.COMBINED;
        } else if (!formatName.equals("json")) {
            a.problem(a.pathOf("format"), Section.quote(formatName) + " is not a log format (expected: json or combined)");
        }
        String path = a.text("path", "").strip();
        long maxFileSize = a.size("maxFileSize", 100L << 20, 1L << 10, Long.MAX_VALUE);
        int maxHistory = a.integer("maxHistory", 14, 1);
        boolean excludeSet = a.has("exclude");
        List<String> exclude = a.textList("exclude");
        if (!excludeSet) {
            exclude = List.of("/health");
        }
        for (int i = 0; i < exclude.size(); i++) {
            String item = exclude.get(i);
            if (item != null && (!item.startsWith("/") || item.contains("?"))) {
                a.problem(a.pathOf("exclude") + "[" + i + "]",
                        Section.quote(item) + " is not a path (expected: a path starting with /, without a query, such as /health)");
            }
        }
        a.rejectUnknownKeys();
        return new ProxyConfig.AccessLog(enabled, format, path.isEmpty() ? Optional.empty() : Optional.of(Path.of(path)),
                maxFileSize, maxHistory, exclude.stream().filter(java.util.Objects::nonNull).toList());
    }

    private static ProxyConfig.Limits readLimits(Section l) {
        ProxyConfig.Limits limits = new ProxyConfig.Limits(
                (int) l.size("maxRequestLine", 8 << 10, 256, 1 << 20),
                (int) l.size("maxHeaderBytes", 32 << 10, 1 << 10, 1 << 24),
                l.integer("maxHeaders", 100, 1),
                l.size("maxBodyBytes", 0, 0, Long.MAX_VALUE),
                l.positiveDuration("headerTimeout", Duration.ofSeconds(10)),
                l.positiveDuration("idleTimeout", Duration.ofSeconds(60)),
                l.integer("maxConnections", 10_000, 1),
                l.positiveDuration("tunnelIdleTimeout", Duration.ofHours(1)));
        l.rejectUnknownKeys();
        return limits;
    }


    private static ProxyConfig.Health readHealth(Section h) {
        String path = h.text("path", "/health");
        if (!path.startsWith("/")) {
            h.problem(h.pathOf("path"), Section.quote(path) + " is not a path (expected: /health or another path starting with /)");
        }
        Duration interval = h.positiveDuration("interval", Duration.ofSeconds(2));
        Duration timeout = h.positiveDuration("timeout", Duration.ofSeconds(1));
        if (timeout.compareTo(interval) > 0) {
            h.problem(h.pathOf("timeout"), Durations.format(timeout) + " is longer than health.interval "
                    + Durations.format(interval) + " (expected: at most the interval)");
        }
        ProxyConfig.Health health = new ProxyConfig.Health(path, interval, timeout, h.integer("rise", 2, 1), h.integer("fall", 3, 1));
        h.rejectUnknownKeys();
        return health;
    }

    private static ProxyConfig.Gate readGate(Section g) {
        int minHealthy = g.integer("minHealthy", 1, 0);
        List<ProxyConfig.Smoke> smoke = new ArrayList<>();
        for (Section item : g.sectionList("smoke")) {
            String method = item.text("method", "GET");
            if (!METHOD.matcher(method).matches()) {
                item.problem(item.pathOf("method"), Section.quote(method) + " is not an HTTP method (expected: GET, POST, ...)");
            }
            String path = item.text("path", "");
            if (!path.startsWith("/")) {
                item.problem(item.pathOf("path"), (path.isEmpty() ? "is missing" : Section.quote(path) + " is not a path")
                        + " (expected: a path starting with /, such as /v1/models)");
            }
            List<Integer> expect = new ArrayList<>();
            List<String> raw = item.textList("expect");
            for (int i = 0; i < raw.size(); i++) {
                String code = raw.get(i);
                if (code != null && code.matches("[2-5]\\d\\d")) {
                    expect.add(Integer.parseInt(code));
                } else if (code != null) {
                    item.problem(item.pathOf("expect") + "[" + i + "]", Section.quote(code) + " is not a final HTTP status (expected: 200 to 599)");
                }
            }
            if (raw.isEmpty()) {
                expect.add(200);
            }
            item.rejectUnknownKeys();
            smoke.add(new ProxyConfig.Smoke(method, path, expect));
        }
        g.rejectUnknownKeys();
        return new ProxyConfig.Gate(minHealthy, smoke);
    }

    /** Preview is off unless the section is there: on the open internet, nobody should reach the standby pool by accident. */
    private static ProxyConfig.Preview readPreview(Section root) {
        boolean present = root.has("preview");
        Section p = root.section("preview");
        if (!present) {
            return new ProxyConfig.Preview(Optional.empty(), false);
        }
        String header = p.text("header", "X-Environment");
        if (!header.equalsIgnoreCase("none") && !HEADER_NAME.matcher(header).matches()) {
            p.problem(p.pathOf("header"), Section.quote(header) + " is not a header name (expected: X-Environment, or none)");
        }
        ProxyConfig.Preview preview = new ProxyConfig.Preview(
                header.equalsIgnoreCase("none") ? Optional.empty() : Optional.of(header), p.bool("pathPrefix", false));
        p.rejectUnknownKeys();
        return preview;
    }

    private static ProxyConfig.Rollback readRollback(Section r) {
        ProxyConfig.Rollback rollback = new ProxyConfig.Rollback(
                r.bool("auto", true),
                r.positiveDuration("window", Duration.ofMinutes(5)),
                r.fraction("maxErrorRate", 0.05),
                r.integer("minRequests", 20, 1),
                r.integer("minClients", 3, 1));
        r.rejectUnknownKeys();
        return rollback;
    }

    private static List<ProxyConfig.PoolSpec> readPools(Section root) {
        List<ProxyConfig.PoolSpec> pools = new ArrayList<>();
        if (!root.has("pools")) {
            root.section("pools");
            root.problem("pools", "is missing (expected: two or more named pools, e.g. blue: { backends: [\"127.0.0.1:8001\"] })");
            return pools;
        }
        Section poolsSection = root.section("pools");
        for (String name : poolsSection.keys()) {
            Section pool = poolsSection.section(name);
            if (!POOL_NAME.matcher(name).matches()) {
                root.problem(pool.path(), "is not a valid pool name (expected: letters, digits, - and _)");
            }
            List<HostPort> backends = new ArrayList<>();
            Set<HostPort> seen = new HashSet<>();
            boolean wellFormed = !pool.has("backends") || pool.isList("backends");
            List<String> raw = pool.textList("backends");
            for (int i = 0; i < raw.size(); i++) {
                String item = raw.get(i);
                if (item == null) {
                    continue;
                }
                String itemPath = pool.pathOf("backends") + "[" + i + "]";
                Optional<HostPort> backend = HostPort.parse(item);
                if (backend.isEmpty()) {
                    root.problem(itemPath, Section.quote(item) + " is not host:port");
                } else if (!seen.add(backend.get())) {
                    root.problem(itemPath, Section.quote(item) + " is listed twice in this pool");
                } else {
                    backends.add(backend.get());
                }
            }
            if (raw.isEmpty() && wellFormed) {
                root.problem(pool.pathOf("backends"), "is missing or empty (expected: a list of one or more host:port)");
            }
            pool.rejectUnknownKeys();
            pools.add(new ProxyConfig.PoolSpec(name, backends));
        }
        if (pools.size() < 2) {
            root.problem("pools", "has " + pools.size() + " pool" + (pools.size() == 1 ? "" : "s")
                    + " (expected: two or more, such as blue and green)");
        }
        return pools;
    }
}
