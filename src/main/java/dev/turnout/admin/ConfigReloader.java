package dev.turnout.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.turnout.base.LogSettings;
import dev.turnout.cluster.ClusterNode;
import dev.turnout.config.ConfigException;
import dev.turnout.config.ConfigLoader;
import dev.turnout.config.ProxyConfig;
import dev.turnout.proxy.ProxyServer;
import dev.turnout.proxy.ServerTls;
import dev.turnout.routing.Backend;
import dev.turnout.routing.TrafficSwitch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads proxy.yaml (POST /admin/reload, SIGHUP). A file that does not validate is refused and
 * the running config keeps serving; a good one is published as a new snapshot: backends that stay
 * keep their connections, removed ones drain, the active pool and generation are kept. The HTTPS
 * certificates are read again: new handshakes get the new ones, open connections keep theirs. A
 * reload that changed anything sends every HTTP/2 connection GOAWAY; its streams in flight finish.
 */
public final class ConfigReloader {

    private static final Logger log = LoggerFactory.getLogger(ConfigReloader.class);

    /** The answer to a reload: either applied with its changes, or refused with the problems. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(Boolean reloaded, String error, String active, Long generation,
                         List<String> changes, List<String> restartRequired, List<String> problems) {
        boolean applied() {
            return Boolean.TRUE.equals(reloaded);
        }

        static Result refused(List<String> problems) {
            return new Result(false, "invalid_config", null, null, null, null, problems);
        }
    }

    private final Optional<Path> file;
    private final ConfigLoader loader;
    private final TrafficSwitch traffic;
    /** Present with an HTTPS listener, whose certificates each reload reads again. */
    private final Optional<ServerTls> tls;
    private final ProxyServer proxy;
    private final Executor executor;

    public ConfigReloader(Optional<Path> file, ConfigLoader loader, TrafficSwitch traffic, Optional<ServerTls> tls,
                          ProxyServer proxy, Executor executor) {
        this.file = file;
        this.loader = loader;
        this.traffic = traffic;
        this.tls = tls;
        this.proxy = proxy;
        this.executor = executor;
    }

    public CompletableFuture<Result> reload() {
        return CompletableFuture.supplyAsync(this::reloadNow, executor);
    }

    private Result reloadNow() {
        if (file.isEmpty()) {
            return Result.refused(List.of("no config file to reload: this Turnout was started without --config (the demo)"));
        }
        ProxyConfig next;
        try {
            next = loader.load(file.get());
        } catch (ConfigException e) {
            log.warn("reload of {} refused, the running config stays: {}", file.get(), String.join("; ", e.problems()));
            return Result.refused(e.problems());
        }
        ProxyConfig before = traffic.current().config();
        ProxyConfig effective = next.keepingRestartOnlyKeysOf(before);
        if (effective.admin().token().isEmpty() && !effective.admin().listen().isLoopback()) {
            return Result.refused(List.of("admin.token: cannot be removed while the admin listener " + effective.admin().listen()
                    + " is reachable from other hosts (move admin.listen to 127.0.0.1 and restart first)"));
        }
        List<String> poolNames = effective.pools().stream().map(ProxyConfig.PoolSpec::name).toList();
        List<String> runningPools = before.pools().stream().map(ProxyConfig.PoolSpec::name).toList();
        if (effective.cluster().isPresent() && !ClusterNode.sameNames(poolNames, runningPools)) {
            // Every replica of a cluster must route the same pools: a flip names one by name on all of them.
            return Result.refused(List.of("pools: in cluster mode the pool names cannot change with a reload (running: "
                    + runningPools + ", file: " + poolNames + "); change them on every replica with a restart"));
        }
        // Read before the routing changes and published after: a bad certificate refuses the whole reload.
        Optional<ServerTls.Certificates> certificates;
        try {
            certificates = tls.isPresent() ? Optional.of(tls.get().reread(effective.tls().orElseThrow())) : Optional.empty();
        } catch (ConfigException e) {
            log.warn("reload of {} refused, the running config and certificates stay: {}", file.get(), String.join("; ", e.problems()));
            return Result.refused(e.problems());
        }
        TrafficSwitch.Reload reload;
        try {
            reload = traffic.reload(effective);
        } catch (IllegalArgumentException e) {
            certificates.ifPresent(c -> tls.get().discard(c));
            log.warn("reload of {} refused, the running config stays: {}", file.get(), e.getMessage());
            return Result.refused(List.of(e.getMessage()));
        }
        ConfigDiff.Result diff = ConfigDiff.between(before, next);
        List<String> changes = new ArrayList<>(diff.changes());
        certificates.ifPresent(c -> changes.addAll(tls.get().publish(c)));
        for (Backend b : reload.removed()) {
            changes.add("pools." + b.pool() + ".backends: removed " + b + " (" + b.inFlight() + " in flight, draining)");
        }
        diff.restartRequired().forEach(r -> log.warn("reload: {} needs a restart to take effect", r));
        if (!changes.isEmpty()) {
            // As nginx's reload does: HTTP/2 clients move to a new connection, which gets the new settings.
            proxy.goAwayHttp2();
        }
        log.info("reloaded {}: {}", file.get(), changes.isEmpty() ? "no changes" : String.join("; ", changes));
        if (!next.logging().equals(before.logging())) {
            // After the line above, which says what changed in the format it had.
            LogSettings.apply(next.logging().level(), next.logging().format());
        }
        return new Result(true, null, reload.after().active().name(), reload.after().generation(),
                changes, diff.restartRequired(), null);
    }
}
