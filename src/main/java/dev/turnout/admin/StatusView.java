package dev.turnout.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnout.proxy.ServerTls;
import dev.turnout.routing.BackendHealth;
import dev.turnout.routing.Backend;
import dev.turnout.routing.Pool;
import dev.turnout.routing.RollbackWatch;
import dev.turnout.routing.RoutingSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The body of GET /admin/status, built from one snapshot so that it is never half a switch. */
final class StatusView {

    private StatusView() {}

    /**
     * @param certificates   present with an HTTPS listener
     * @param http2Refusals  streams refused and HTTP/2 connections ended for an error, by error code
     */
    static ObjectNode of(RoutingSnapshot snapshot, Optional<List<ServerTls.Status>> certificates, Map<String, Long> http2Refusals,
                         ObjectMapper json) {
        ObjectNode root = json.createObjectNode()
                .put("active", snapshot.active().name());
        root.put("previous", snapshot.previous().map(Pool::name).orElse(null));
        root.put("generation", snapshot.generation());
        snapshot.watch().filter(RollbackWatch::watching).ifPresent(w -> root.putObject("rollbackWatch")
                .put("pool", w.pool().name())
                .put("requests", w.requests())
                .put("errors", w.errors())
                .put("baselineErrorRate", w.baseline())
                .put("erroringClients", w.erroringClients())
                .put("remainingMillis", w.remainingMillis()));
        ObjectNode pools = root.putObject("pools");
        for (Pool pool : snapshot.pools()) {
            boolean active = pool == snapshot.active();
            int poolInFlight = 0;
            int poolTunnels = 0;
            int healthy = 0;
            ArrayNode backends = json.createArrayNode();
            for (Backend b : pool.backends()) {
                int inFlight = b.inFlight();
                poolInFlight += inFlight;
                int tunnels = b.tunnels();
                poolTunnels += tunnels;
                BackendHealth h = b.health();
                healthy += h.healthy() ? 1 : 0;
                BackendHealth.LastCheck last = h.lastCheck();
                ObjectNode node = backends.addObject()
                        .put("address", b.address().toString())
                        .put("inFlight", inFlight)
                        .put("tunnels", tunnels)
                        .put("idleConnections", b.idle().count())
                        .put("draining", b.draining())
                        .put("healthy", h.healthy())
                        .put("passes", h.consecutivePasses())
                        .put("failures", h.consecutiveFailures());
                node.put("lastCheck", last == null ? null : last.at().toString());
                if (last == null) {
                    node.putNull("latencyMillis");
                } else {
                    node.put("latencyMillis", last.latencyMillis());
                }
                node.put("lastError", h.lastError());
            }
            ObjectNode p = pools.putObject(pool.name());
            p.put("active", active);
            p.put("healthy", healthy);
            p.put("inFlight", poolInFlight);
            p.put("tunnels", poolTunnels);
            p.put("draining", pool.draining());
            p.set("backends", backends);
        }
        certificates.ifPresent(list -> {
            Instant now = Instant.now();
            ArrayNode shown = root.putArray("certificates");
            for (ServerTls.Status c : list) {
                ObjectNode node = shown.addObject();
                c.names().forEach(node.putArray("names")::add);
                node.put("notAfter", c.notAfter().toString())
                        .put("daysLeft", Duration.between(now, c.notAfter()).toDays())
                        .put("cert", c.cert().toString())
                        .put("key", c.key().toString())
                        .put("lastLoad", c.lastLoad());
            }
        });
        ObjectNode refusals = root.putObject("http2").putObject("refusals");
        http2Refusals.forEach(refusals::put);
        return root;
    }
}
