package dev.turnout.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.turnout.config.ConfigException;
import dev.turnout.config.ConfigKey;
import dev.turnout.config.ConfigLoader;
import dev.turnout.config.ProxyConfig;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * proxy.yaml files that set one key of {@link dev.turnout.config.ConfigKeys} at a time, for the
 * tests that hold the loader, {@code check} and the reload report to that table.
 */
public final class ConfigSamples {

    /** A valid value for every key of the table that is not its default, in YAML. */
    public static final Map<String, String> SAMPLES = samples();

    private static final Map<String, String> REQUIRED = Map.of(
            "switch.smoke[]", "{ path: /ready }",
            "tls", "{ certificates: [{ cert: fullchain.pem, key: privkey.pem }] }",
            "tls.certificates[]", "{ cert: fullchain.pem, key: privkey.pem }");

    /** Keys valid only with others set: a sample of one sets those to their samples too (https endpoints for TLS). */
    private static final Map<String, List<String>> COMPANIONS = Map.of(
            "cluster.etcd.username", List.of("cluster.etcd.password"),
            "cluster.etcd.password", List.of("cluster.etcd.username"),
            "cluster.etcd.tls.ca", List.of("cluster.etcd.endpoints"),
            "cluster.etcd.tls.cert", List.of("cluster.etcd.tls.key", "cluster.etcd.endpoints"),
            "cluster.etcd.tls.key", List.of("cluster.etcd.tls.cert", "cluster.etcd.endpoints"));

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ConfigLoader LOADER = new ConfigLoader(name -> null);

    private ConfigSamples() {}

    private static Map<String, String> samples() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("listen", "127.0.0.1:8081");
        m.put("admin.listen", "127.0.0.2:9091");
        m.put("admin.token", "s3cret");
        m.put("pools", "{ blue: { backends: [\"127.0.0.1:8001\"] }, green: { backends: [\"127.0.0.1:8003\"] } }");
        m.put("active", "green");
        m.put("state.file", "other-state.json");
        m.put("upstream.connectTimeout", "3s");
        m.put("upstream.firstByteTimeout", "2m");
        m.put("upstream.readTimeout", "1m");
        m.put("upstream.writeTimeout", "10s");
        m.put("upstream.keepalive.maxIdlePerBackend", "8");
        m.put("upstream.keepalive.idleTimeout", "4s");
        m.put("upstream.keepalive.maxRequestsPerConnection", "100");
        m.put("drain.timeout", "30s");
        m.put("drain.closeTunnels", "2s");
        m.put("startup.warmup", "2s");
        m.put("shutdown.delay", "5s");
        m.put("health.path", "/ready");
        m.put("health.interval", "5s");
        m.put("health.timeout", "500ms");
        m.put("health.rise", "1");
        m.put("health.fall", "5");
        m.put("edgeHealth.path", "/lb-check");
        m.put("switch.minHealthy", "0");
        m.put("switch.smoke", "[{ path: /v1/models }]");
        m.put("switch.smoke[].method", "HEAD");
        m.put("switch.smoke[].path", "/v1/chat/completions");
        m.put("switch.smoke[].expect", "[200, 401]");
        m.put("retry.attempts", "1");
        m.put("preview", "{}");
        m.put("preview.header", "X-Pool");
        m.put("preview.pathPrefix", "true");
        m.put("rollback.auto", "false");
        m.put("rollback.window", "10m");
        m.put("rollback.maxErrorRate", "0.1");
        m.put("rollback.minRequests", "50");
        m.put("rollback.minClients", "1");
        m.put("limits.maxRequestLine", "4KiB");
        m.put("limits.maxHeaderBytes", "16KiB");
        m.put("limits.maxHeaders", "50");
        m.put("limits.maxBodyBytes", "1MiB");
        m.put("limits.headerTimeout", "5s");
        m.put("limits.idleTimeout", "2m");
        m.put("limits.maxConnections", "500");
        m.put("limits.tunnelIdleTimeout", "10m");
        m.put("headers.allowUnderscores", "true");
        m.put("trustedProxies", "[10.0.0.0/8]");
        m.put("tls", "{ certificates: [{ cert: fullchain.pem, key: privkey.pem }] }");
        m.put("tls.listen", "127.0.0.1:8444");
        m.put("tls.certificates", "[{ cert: other.pem, key: other-key.pem }]");
        m.put("tls.certificates[].cert", "other.pem");
        m.put("tls.certificates[].key", "other-key.pem");
        m.put("tls.protocols", "[TLSv1.3]");
        m.put("tls.ciphers", "[TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256]");
        m.put("tls.alpn", "[http/1.1]");
        m.put("tls.redirectHttp", "true");
        m.put("tls.redirectPort", "8443");
        m.put("tls.hsts", "\"max-age=31536000; includeSubDomains\"");
        m.put("http2.maxConcurrentStreams", "50");
        m.put("http2.initialWindowSize", "256KiB");
        m.put("http2.maxHeaderListSize", "64KiB");
        m.put("http2.cleartext", "true");
        m.put("logging.level", "warn");
        m.put("logging.format", "json");
        m.put("accessLog.enabled", "false");
        m.put("accessLog.format", "combined");
        m.put("accessLog.path", "/var/log/turnout/access.log");
        m.put("accessLog.maxFileSize", "10MiB");
        m.put("accessLog.maxHistory", "3");
        m.put("accessLog.exclude", "[/ping]");
        m.put("cluster.name", "api");
        m.put("cluster.replica", "edge-1");
        m.put("cluster.etcd.endpoints", "[\"https://10.0.0.5:2379\", \"https://10.0.0.6:2379\"]");
        m.put("cluster.etcd.username", "turnout");
        m.put("cluster.etcd.password", "s3cret");
        m.put("cluster.etcd.tls.ca", "/etc/etcd/ca.pem");
        m.put("cluster.etcd.tls.cert", "/etc/etcd/client.pem");
        m.put("cluster.etcd.tls.key", "/etc/etcd/client-key.pem");
        m.put("cluster.leaseTtl", "30s");
        m.put("cluster.drainWait", "self");
        return Map.copyOf(m);
    }

    /** Two pools, and the mappings above {@code key} (a smoke request has its required path), but not the key itself. */
    public static String around(ConfigKey key) {
        ObjectNode root = twoPools();
        parentOf(root, key.path());
        return write(root);
    }

    /** {@link #around} with {@code key} set to {@code yamlValue}, and its companions, if any, to their samples. */
    public static String with(ConfigKey key, String yamlValue) {
        ObjectNode root = twoPools();
        set(root, key.path(), yamlValue);
        companionsOf(key.path()).forEach(other -> set(root, other, SAMPLES.get(other)));
        return write(root);
    }

    /** The keys that must be set together with {@code path} (a user's password, https endpoints for TLS). */
    public static List<String> companionsOf(String path) {
        return COMPANIONS.getOrDefault(path, List.of());
    }

    private static void set(ObjectNode root, String path, String yamlValue) {
        String[] segments = path.split("\\.");
        parentOf(root, path).set(field(segments[segments.length - 1]), read(yamlValue));
    }

    /** {@link #around} with {@code key} set to its sample. */
    public static String withSample(ConfigKey key) {
        return with(key, SAMPLES.get(key.path()));
    }

    public static ProxyConfig load(String yaml) throws ConfigException {
        return LOADER.parse(yaml, "proxy.yaml");
    }

    private static ObjectNode twoPools() {
        return (ObjectNode) read("pools: { blue: { backends: [\"127.0.0.1:8001\"] }, green: { backends: [\"127.0.0.1:8002\"] } }");
    }

    private static ObjectNode parentOf(ObjectNode root, String path) {
        String[] segments = path.split("\\.");
        ObjectNode node = root;
        for (int i = 0; i < segments.length - 1; i++) {
            node = enter(node, String.join(".", Arrays.copyOf(segments, i + 1)));
        }
        return node;
    }

    /**
     * The mapping at the last segment of {@code path} under {@code parent}, made with what the loader
     * requires in it when it is not there yet; {@code smoke[]} stands for the first item of the list
     * {@code smoke}.
     */
    public static ObjectNode enter(ObjectNode parent, String path) {
        String segment = path.substring(path.lastIndexOf('.') + 1);
        String fresh = REQUIRED.getOrDefault(path, "{}");
        if (segment.endsWith("[]")) {
            ArrayNode list = parent.withArray(field(segment));
            if (list.isEmpty()) {
                list.add(read(fresh));
            }
            return (ObjectNode) list.get(0);
        }
        if (!parent.has(segment)) {
            parent.set(segment, read(fresh));
        }
        return (ObjectNode) parent.get(segment);
    }

    private static String field(String segment) {
        return segment.endsWith("[]") ? segment.substring(0, segment.length() - 2) : segment;
    }

    private static JsonNode read(String yaml) {
        try {
            return YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not YAML: " + yaml, e);
        }
    }

    private static String write(JsonNode root) {
        try {
            return YAML.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
