package dev.turnout.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/** One answer of the admin API: its status, its body as sent and parsed. */
record AdminAnswer(int status, String raw, JsonNode json) {

    /** A text field of the body, absent when missing or null. */
    Optional<String> text(String field) {
        JsonNode node = json.get(field);
        return node == null || node.isNull() ? Optional.empty() : Optional.of(node.asText());
    }
}
