package dev.turnout.cli;

import com.fasterxml.jackson.databind.JsonNode;

/** A rollback watch as one line: its pool, requests, errors, error rate and time left. */
final class WatchCounters {

    private WatchCounters() {}

    /** {@code watch}: the {@code rollbackWatch} of a status answer, or a {@code rollback-watch} event. */
    static String of(JsonNode watch) {
        long requests = watch.path("requests").asLong();
        long errors = watch.path("errors").asLong();
        double rate = requests == 0 ? 0 : (double) errors / requests;
        return String.format("%s: %d requests, %d errors, error rate %.2f (old pool %.2f), %ds left",
                watch.path("pool").asText(), requests, errors, rate, watch.path("baselineErrorRate").asDouble(),
                watch.path("remainingMillis").asLong() / 1000);
    }
}
