package dev.turnout.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnout.routing.Backend;
import dev.turnout.routing.Pool;
import dev.turnout.routing.RoutingSnapshot;

/** The body of GET /admin/status, built from one snapshot so that it is never half a switch. */
final class StatusView {

    private StatusView() {}

    static ObjectNode of(RoutingSnapshot snapshot, ObjectMapper json) {
        ObjectNode root = json.createObjectNode()
                .put("active", snapshot.active().name());
        root.put("previous", snapshot.previous().map(Pool::name).orElse(null));
        root.put("generation", snapshot.generation());
        ObjectNode pools = root.putObject("pools");
        for (Pool pool : snapshot.pools()) {
            boolean active = pool == snapshot.active();
            int poolInFlight = 0;
            ArrayNode backends = json.createArrayNode();
            for (Backend b : pool.backends()) {
                int inFlight = b.inFlight();
                poolInFlight += inFlight;
                backends.addObject()
                        .put("address", b.address().toString())
                        .put("inFlight", inFlight)
                        .put("idleConnections", b.idle().count())
                        .put("draining", !active && inFlight > 0);
            }
            ObjectNode p = pools.putObject(pool.name());
            p.put("active", active);
            p.put("inFlight", poolInFlight);
            p.put("draining", !active && poolInFlight > 0);
            p.set("backends", backends);
        }
        return root;
    }
}
