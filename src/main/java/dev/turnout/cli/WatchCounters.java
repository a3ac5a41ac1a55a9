package dev.turnout.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;

/** The rollback watch of a status answer, as one line: its pool, requests, errors, error rate and time left. */
final class WatchCounters {

    private WatchCounters() {}

    /** Absent when no rollback watch runs. */
    static Optional<String> of(JsonNode status) {
        JsonNode watch = status.get("rollbackWatch");
        if (watch == null || watch.isNull()) {
            return Optional.empty();
        }
        long requests = watch.path("requests").asLong();
        long errors = watch.path("errors").asLong();
        double rate = requests == 0 ? 0 : (double) errors / requests;
        return Optional.of(String.format("%s: %d requests, %d errors, error rate %.2f (old pool %.2f), %ds left",
                watch.path("pool").asText(), requests, errors, rate, watch.path("baselineErrorRate").asDouble(),
                watch.path("remainingMillis").asLong() / 1000));
    }
}
