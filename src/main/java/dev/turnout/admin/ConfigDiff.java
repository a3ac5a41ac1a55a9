package dev.turnout.admin;

import dev.turnout.config.ConfigKeys;
import dev.turnout.config.ProxyConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/** What a reload changes, as lines an operator reads: {@code upstream.readTimeout: 30s -> 1m}. */
final class ConfigDiff {

    /** Keys whose new value only a restart can apply: a listener cannot move, the state file is read once,
     * the access log's appenders are built at start. */
    private static final Set<String> RESTART_KEYS = Set.of("listen", "admin.listen", "state.file", "tls.listen", "tls.hsts",
            "tls.redirectHttp", "tls.redirectPort", "accessLog.enabled", "accessLog.path", "accessLog.maxFileSize",
            "accessLog.maxHistory");

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
                (RESTART_KEYS.contains(key) || key.startsWith("cluster.") ? restart : changes).add(line);
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
        ConfigKeys.ALL.forEach(key -> key.shownIn(c).ifPresent(value -> m.put(key.path(), value)));
        return m;
    }
}
