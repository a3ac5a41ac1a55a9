package dev.turnout.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnout.config.ProxyConfig;
import dev.turnout.routing.BackendHealth;
import dev.turnout.health.HttpProbe;
import dev.turnout.routing.Backend;
import dev.turnout.routing.Pool;
import io.netty.handler.codec.http.HttpMethod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * What a pool must pass before traffic moves to it: {@code switch.minHealthy} healthy backends, as
 * the health checks saw them and as one fresh probe of each sees them now, then every smoke request
 * answered as expected by every backend. A refusal names the reason.
 */
public final class SwitchGate {

    private static final Duration SMOKE_TIMEOUT = Duration.ofSeconds(5);

    private final HttpProbe probe;

    public SwitchGate(HttpProbe probe) {
        this.probe = probe;
    }

    /** Completes when {@code target} may take traffic; fails with {@link SwitchRefused} (409) when it may not. */
    CompletableFuture<Void> check(Pool target, ProxyConfig config) {
        ProxyConfig.Gate gate = config.gate();
        int healthy = target.healthyCount();
        if (healthy < gate.minHealthy()) {
            ArrayNode unhealthy = JsonNodeFactory.instance.arrayNode();
            for (Backend b : target.backends()) {
                BackendHealth h = b.health();
                if (!h.healthy()) {
                    unhealthy.addObject().put("backend", b.toString()).put("error", h.lastError());
                }
            }
            return CompletableFuture.failedFuture(SwitchRefused.gateFailed(target.name(), "unhealthy", healthy + " of "
                    + target.backends().size() + " backends healthy, switch.minHealthy is " + gate.minHealthy(), unhealthy));
        }
        return probeHealthy(target, gate, config.health()).thenCompose(probed -> smoke(target, gate));
    }

    /**
     * One health probe of each backend counted healthy: the last check may be an interval old, and a
     * backend killed since then must not take traffic until the checks notice.
     */
    private CompletableFuture<Void> probeHealthy(Pool target, ProxyConfig.Gate gate, ProxyConfig.Health health) {
        if (gate.minHealthy() == 0) {
            return CompletableFuture.completedFuture(null);
        }
        Map<Backend, CompletableFuture<HttpProbe.Result>> probes = new LinkedHashMap<>();
        for (Backend b : target.backends()) {
            if (b.health().healthy()) {
                probes.put(b, probe.send(b.socketAddress(), b.address().toString(), HttpMethod.GET, health.path(), health.timeout()));
            }
        }
        return CompletableFuture.allOf(probes.values().toArray(CompletableFuture[]::new)).thenRun(() -> {
            Map<Backend, String> failed = new LinkedHashMap<>();
            probes.forEach((b, result) -> {
                if (!result.join().passed()) {
                    failed.put(b, result.join().failure());
                }
            });
            int passed = probes.size() - failed.size();
            if (passed < gate.minHealthy()) {
                ArrayNode list = JsonNodeFactory.instance.arrayNode();
                failed.forEach((b, error) -> list.addObject().put("backend", b.toString()).put("error", error));
                throw SwitchRefused.gateFailed(target.name(), "probe", "GET " + health.path() + " probe at switch time: " + passed
                        + " of " + target.backends().size() + " backends passed, switch.minHealthy is " + gate.minHealthy(), list);
            }
        });
    }

    private CompletableFuture<Void> smoke(Pool target, ProxyConfig.Gate gate) {
        List<CompletableFuture<ObjectNode>> runs = new ArrayList<>();
        for (Backend b : target.backends()) {
            for (ProxyConfig.Smoke smoke : gate.smoke()) {
                runs.add(probe.send(b.socketAddress(), b.address().toString(), HttpMethod.valueOf(smoke.method()), smoke.path(), SMOKE_TIMEOUT)
                        .thenApply(r -> r.status() > 0 && smoke.expect().contains(r.status()) ? null : failure(b, smoke, r)));
            }
        }
        return CompletableFuture.allOf(runs.toArray(CompletableFuture[]::new)).thenRun(() -> {
            List<ObjectNode> failures = runs.stream().map(CompletableFuture::join).filter(f -> f != null).toList();
            if (!failures.isEmpty()) {
                ObjectNode first = failures.get(0);
                throw SwitchRefused.gateFailed(target.name(), "smoke", first.get("method").asText() + " " + first.get("path").asText()
                        + " on " + first.get("backend").asText() + " got " + (first.hasNonNull("status")
                        ? first.get("status").asText() : first.get("error").asText())
                        + " (expected: " + first.get("expect") + ")", JsonNodeFactory.instance.arrayNode().addAll(failures));
            }
        });
    }

    private static ObjectNode failure(Backend b, ProxyConfig.Smoke smoke, HttpProbe.Result r) {
        ObjectNode node = JsonNodeFactory.instance.objectNode()
                .put("backend", b.toString())
                .put("method", smoke.method())
                .put("path", smoke.path());
        if (r.status() > 0) {
            node.put("status", r.status());
        } else {
            node.putNull("status");
            node.put("error", r.error());
        }
        ArrayNode expect = node.putArray("expect");
        smoke.expect().forEach(expect::add);
        return node;
    }
}
