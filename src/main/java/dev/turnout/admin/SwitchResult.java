package dev.turnout.admin;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The answer of a switch or rollback. {@code drained}, {@code drainMillis} and {@code remaining}
 * are absent when the caller did not wait for the drain, or when nothing changed; {@code forced}
 * appears only on a forced flip; {@code saved} (whether the state file holds the flip) only on a flip.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record SwitchResult(
        String from,
        String to,
        long generation,
        boolean changed,
        int inFlightAtSwitch,
        Boolean forced,
        Boolean saved,
        Boolean drained,
        Long drainMillis,
        Integer remaining) {

    SwitchResult withDrain(boolean wasDrained, long millis, int stillInFlight) {
        return new SwitchResult(from, to, generation, changed, inFlightAtSwitch, forced, saved, wasDrained, millis,
                wasDrained ? null : stillInFlight);
    }
}
