package dev.turnout.admin;

import dev.turnout.config.Durations;
import dev.turnout.config.ProxyConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** What a reload changes, as lines an operator reads: {@code upstream.readTimeout: 30s -> 1m}. */
final class ConfigDiff {

    /** Keys whose new value only a restart can apply: a listener cannot move, the state file is read once. */
    private static final Set<String> RESTART_KEYS = Set.of("listen", "admin.listen", "state.file");

    record Result(List<String> changes, List<String> restartRequired) {}

    private ConfigDiff() {}

    static Result between(ProxyConfig before, ProxyConfig after) {
        List<String> changes = new ArrayList<>();
        List<String> restart = new ArrayList<>();
        Map<String, String> old = flatten(before);
        flatten(after).forEach((key, value) -> {
            String was = old.get(key);
            if (!Objects.equals(was, value)) {
                String line = key + ": " + was + " -> " + value;
                (RESTART_KEYS.contains(key) ? restart : changes).add(line);
            }
        });
        for (ProxyConfig.PoolSpec pool : after.pools()) {
            ProxyConfig.PoolSpec was = find(before, pool.name());
            if (was == null) {
                changes.add("pools." + pool.name() + ": added with " + pool.backends());
                continue;
            }
            pool.backends().stream().filter(b -> !was.backends().contains(b))
                    .forEach(b -> changes.add("pools." + pool.name() + ".backends: added " + b));
        }
        for (ProxyConfig.PoolSpec pool : before.pools()) {
            ProxyConfig.PoolSpec now = find(after, pool.name());
            if (now == null) {
                changes.add("pools." + pool.name() + ": removed");
            }
        }
        return new Result(changes, restart);
    }

    private static ProxyConfig.PoolSpec find(ProxyConfig config, String name) {
        return config.pools().stream().filter(p -> p.name().equals(name)).findFirst().orElse(null);
    }

    private static Map<String, String> flatten(ProxyConfig c) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("listen", c.listen().toString());
        m.put("admin.listen", c.admin().listen().toString());
        m.put("admin.token", c.admin().token().isPresent() ? "(set)" : "(not set)");
        m.put("state.file", c.state().file().map(Object::toString).orElse("(none)"));
        ProxyConfig.Upstream up = c.upstream();
        m.put("upstream.connectTimeout", Durations.format(up.connectTimeout()));
        m.put("upstream.firstByteTimeout", Durations.format(up.firstByteTimeout()));
        m.put("upstream.readTimeout", Durations.format(up.readTimeout()));
        m.put("upstream.writeTimeout", Durations.format(up.writeTimeout()));
        m.put("upstream.keepalive.maxIdlePerBackend", String.valueOf(up.keepalive().maxIdlePerBackend()));
        m.put("upstream.keepalive.idleTimeout", Durations.format(up.keepalive().idleTimeout()));
        m.put("upstream.keepalive.maxRequestsPerConnection", String.valueOf(up.keepalive().maxRequestsPerConnection()));
        m.put("drain.timeout", Durations.format(c.drain().timeout()));
        m.put("health.path", c.health().path());
        m.put("health.interval", Durations.format(c.health().interval()));
        m.put("health.timeout", Durations.format(c.health().timeout()));
        m.put("health.rise", String.valueOf(c.health().rise()));
        m.put("health.fall", String.valueOf(c.health().fall()));
        m.put("switch.minHealthy", String.valueOf(c.gate().minHealthy()));
        m.put("switch.smoke", c.gate().smoke().toString());
        m.put("retry.attempts", String.valueOf(c.retry().attempts()));
        m.put("preview.header", c.preview().header().orElse("(off)"));
        m.put("preview.pathPrefix", String.valueOf(c.preview().pathPrefix()));
        m.put("rollback.auto", String.valueOf(c.rollback().auto()));
        m.put("rollback.window", Durations.format(c.rollback().window()));
        m.put("rollback.maxErrorRate", String.valueOf(c.rollback().maxErrorRate()));
        m.put("rollback.minRequests", String.valueOf(c.rollback().minRequests()));
        m.put("rollback.minClients", String.valueOf(c.rollback().minClients()));
        ProxyConfig.Limits l = c.limits();
        m.put("limits.maxRequestLine", String.valueOf(l.maxRequestLine()));
        m.put("limits.maxHeaderBytes", String.valueOf(l.maxHeaderBytes()));
        m.put("limits.maxHeaders", String.valueOf(l.maxHeaders()));
        m.put("limits.maxBodyBytes", String.valueOf(l.maxBodyBytes()));
        m.put("limits.headerTimeout", Durations.format(l.headerTimeout()));
        m.put("limits.idleTimeout", Durations.format(l.idleTimeout()));
        m.put("limits.maxConnections", String.valueOf(l.maxConnections()));
        m.put("headers.allowUnderscores", String.valueOf(c.headers().allowUnderscores()));
        m.put("trustedProxies", c.trustedProxies().toString());
        return m;
    }
}
