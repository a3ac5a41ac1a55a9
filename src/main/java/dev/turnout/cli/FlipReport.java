package dev.turnout.cli;

import com.fasterxml.jackson.databind.JsonNode;

/** The answer of a switch or rollback as text: the flip, then how the old pool's drain ended. */
final class FlipReport {

    private FlipReport() {}

    /** {@code verb} is what happened, e.g. {@code switched} or {@code rolled back}. */
    static String of(String verb, JsonNode flip) {
        String from = flip.path("from").asText();
        String to = flip.path("to").asText();
        long generation = flip.path("generation").asLong();
        if (!flip.path("changed").asBoolean()) {
            return String.format("%s is active already (generation %d): nothing changed%n", to, generation);
        }
        StringBuilder text = new StringBuilder(String.format("%s from %s to %s (generation %d%s)%n", verb, from, to, generation,
                flip.path("forced").asBoolean() ? ", forced: the gate was skipped" : ""));
        if (flip.has("saved") && !flip.get("saved").asBoolean()) {
            text.append(String.format("not saved to a state file: a restart would not keep this flip%n"));
        }
        int tunnels = flip.path("tunnelsAtSwitch").asInt();
        String inFlight = flip.path("inFlightAtSwitch").asInt() + " request(s)" + (tunnels > 0 ? ", " + tunnels + " of them tunnels," : "");
        if (!flip.has("drained")) {
            text.append(String.format("not waiting for %s to drain: %s in flight there at the flip%n", from, inFlight));
        } else if (flip.get("drained").asBoolean()) {
            text.append(String.format("%s drained in %d ms (%s in flight at the flip)%n", from,
                    flip.path("drainMillis").asLong(), inFlight));
        } else {
            text.append(String.format("%s did not drain in %d ms: %d request(s) still running there (not killed)%n", from,
                    flip.path("drainMillis").asLong(), flip.path("remaining").asInt()));
        }
        return text.toString();
    }
}
