package dev.turnout.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.turnout.cluster.ClusterNode;
import dev.turnout.routing.RoutingSnapshot;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** The bodies cluster mode adds to the admin API: {@code cluster} in the status, and {@code GET /admin/cluster}. */
final class ClusterView {

    private ClusterView() {}

    /** {@code {name, replica, connected, since}}: whether this replica's view of the cluster is current. */
    static ObjectNode status(ClusterNode node, ObjectMapper json) {
        ClusterNode.Connection c = node.connection();
        return json.createObjectNode().put("name", node.name()).put("replica", node.replica())
                .put("connected", c.connected()).put("since", c.since().toString());
    }

    private static boolean renewedWithin(String renewedAt, java.time.Duration ttl) {
        try {
            return java.time.Instant.parse(renewedAt).plus(ttl).isAfter(java.time.Instant.now());
        } catch (java.time.format.DateTimeParseException e) {
            return false;
        }
    }

    /**
     * Every live replica with the generation it applied, its last renewal and whether its pool names
     * are the cluster's; this replica's own entry says {@code self: true}.
     */
    static CompletableFuture<ObjectNode> replicas(ClusterNode node, RoutingSnapshot local, ObjectMapper json) {
        List<String> pools = node.latest().pools();
        return node.replicas().thenApply(list -> {
            ObjectNode root = status(node, json).put("generation", node.latest().generation())
                    .put("active", node.latest().active());
            root.put("appliedHere", local.generation());
            ArrayNode replicas = root.putArray("replicas");
            for (JsonNode r : list) {
                if (!(r instanceof ObjectNode record)) {
                    continue;
                }
                ObjectNode entry = record.deepCopy();
                entry.put("self", node.replica().equals(r.path("id").asText()));
                entry.put("poolsMatch", ClusterNode.sameNames(pools, json.convertValue(r.path("pools"), List.class)));
                // Listed means its lease is alive; "late" means it missed renewals and may be about to drop out.
                entry.put("health", renewedWithin(r.path("renewedAt").asText(), node.leaseTtl()) ? "ok" : "late");
                replicas.add(entry);
            }
            return root;
        });
    }
}
