package dev.turnout.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.turnout.state.FlipRecord;
import dev.turnout.state.SwitchHistory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The cluster's routing state as etcd holds it under {@code <prefix>state}: which pool is active, the
 * one before it, the generation, the pool names every replica must have, and the last flips (newest
 * first, without drain results, which each replica reports for itself). One JSON value, replaced
 * whole by a compare-and-set, so a reader never sees half a flip.
 *
 * @param committedAtMillis when the flip that made this state was committed (wall clock of the replica
 *                          that committed it), for the convergence each replica logs; 0 for the first state
 */
public record ClusterState(String active, Optional<String> previous, long generation, List<String> pools,
                           List<FlipRecord> history, long committedAtMillis) {

    private static final ObjectMapper JSON = new ObjectMapper()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.READ_UNKNOWN_ENUM_VALUES_AS_NULL);

    public ClusterState {
        pools = List.copyOf(pools);
        history = List.copyOf(history.subList(0, Math.min(SwitchHistory.LIMIT, history.size())));
    }

    /** The state after {@code flip}: its target active, the pool it left previous, the flip first in the history. */
    public ClusterState after(FlipRecord flip, long nowMillis) {
        List<FlipRecord> next = new ArrayList<>();
        next.add(flip);
        next.addAll(history);
        return new ClusterState(flip.to(), Optional.of(flip.from()), flip.generation(), pools, next, nowMillis);
    }

    /** The newest flip, which made this state; empty for a cluster that never flipped. */
    public Optional<FlipRecord> lastFlip() {
        return history.stream().filter(r -> r.generation() == generation).findFirst();
    }

    byte[] toJson() {
        ObjectNode root = JSON.createObjectNode().put("active", active).put("generation", generation)
                .put("committedAtMillis", committedAtMillis);
        previous.ifPresent(p -> root.put("previous", p));
        root.set("pools", JSON.valueToTree(pools));
        root.set("history", JSON.valueToTree(history.stream().map(r -> r.withoutDrain()).toList()));
        try {
            return JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static ClusterState fromJson(byte[] bytes) throws IOException {
        JsonNode root = JSON.readTree(bytes);
        if (root == null || !root.path("active").isTextual() || !root.path("generation").canConvertToLong()
                || !root.path("pools").isArray()) {
            throw new IOException("not a Turnout cluster state (expected: a JSON object with active, generation and pools)");
        }
        JsonNode previous = root.path("previous");
        return new ClusterState(root.get("active").asText(),
                previous.isTextual() ? Optional.of(previous.asText()) : Optional.empty(),
                root.get("generation").asLong(),
                JSON.convertValue(root.get("pools"), new TypeReference<List<String>>() {}),
                root.path("history").isArray() ? JSON.convertValue(root.get("history"), new TypeReference<List<FlipRecord>>() {})
                        : List.of(),
                root.path("committedAtMillis").asLong(0));
    }
}
