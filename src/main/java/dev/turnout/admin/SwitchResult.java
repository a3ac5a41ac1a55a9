package dev.turnout.admin;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import dev.turnout.state.FlipRecord;

/**
 * The answer of a switch or rollback, made by {@link #unchanged} or {@link #flipped}.
 * {@code tunnelsAtSwitch}: of the requests in flight on the old pool, the tunnels (WebSockets).
 * {@code drained}, {@code drainMillis} and {@code remaining} are absent when the caller did not
 * wait for the drain, or when nothing changed; {@code forced} appears only on a forced flip;
 * {@code saved} (whether the state file holds the flip) only on a flip.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record SwitchResult(
        String from,
        String to,
        long generation,
        boolean changed,
        int inFlightAtSwitch,
        int tunnelsAtSwitch,
        Boolean forced,
        Boolean saved,
        Boolean drained,
        Long drainMillis,
        Integer remaining,
        List<JsonNode> replicas) {

    /** The target was active already: nothing moved, so nothing drains. */
    static SwitchResult unchanged(String active, long generation) {
        return new SwitchResult(active, active, generation, false, 0, 0, null, null, null, null, null, null);
    }

    /** The answer to the flip {@code record} tells of, right after it. */
    static SwitchResult flipped(FlipRecord record, int inFlightAtSwitch, int tunnelsAtSwitch, boolean saved) {
        return new SwitchResult(record.from(), record.to(), record.generation(), true, inFlightAtSwitch, tunnelsAtSwitch,
                record.forced() ? Boolean.TRUE : null, saved, null, null, null, null);
    }

    SwitchResult withDrain(boolean wasDrained, long millis, int stillInFlight) {
        return new SwitchResult(from, to, generation, changed, inFlightAtSwitch, tunnelsAtSwitch, forced, saved, wasDrained, millis,
                wasDrained ? null : stillInFlight, replicas);
    }

    /** Cluster mode with {@code drainWait: all}: every live replica's drain of this flip. */
    SwitchResult withReplicas(List<JsonNode> drains) {
        return new SwitchResult(from, to, generation, changed, inFlightAtSwitch, tunnelsAtSwitch, forced, saved, drained, drainMillis,
                remaining, List.copyOf(drains));
    }
}
