package dev.turnout.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;

/** {@code GET /admin/status} as text: the active pool, the rollback watch, then one row per backend. */
final class StatusTable {

    private StatusTable() {}

    static String of(JsonNode status) {
        StringBuilder text = new StringBuilder(String.format("active      %s (generation %d, previous %s)%n",
                status.path("active").asText(), status.path("generation").asLong(),
                status.path("previous").isNull() ? "none" : status.path("previous").asText()));
        text.append(String.format("watch       %s%n%n", status.hasNonNull("rollbackWatch") ? WatchCounters.of(status.get("rollbackWatch")) : "none"));
        Table table = new Table("POOL", "BACKEND", "STATE", "HEALTH", "IN-FLIGHT", "TUNNELS", "IDLE");
        for (Iterator<Map.Entry<String, JsonNode>> pools = status.path("pools").fields(); pools.hasNext(); ) {
            Map.Entry<String, JsonNode> pool = pools.next();
            for (JsonNode backend : pool.getValue().path("backends")) {
                table.row(pool.getKey(), backend.path("address").asText(), state(pool.getValue(), backend), health(backend),
                        backend.path("inFlight").asText(), backend.path("tunnels").asText(), backend.path("idleConnections").asText());
            }
        }
        return text.append(table).toString();
    }

    private static String state(JsonNode pool, JsonNode backend) {
        if (backend.path("draining").asBoolean()) {
            return "draining";
        }
        return pool.path("active").asBoolean() ? "active" : "standby";
    }

    private static String health(JsonNode backend) {
        if (!backend.path("healthy").asBoolean()) {
            return "down" + (backend.path("lastError").isTextual() ? " (" + backend.get("lastError").asText() + ")" : "");
        }
        return backend.path("lastCheck").isNull() ? "up (not checked yet)" : "up";
    }
}
