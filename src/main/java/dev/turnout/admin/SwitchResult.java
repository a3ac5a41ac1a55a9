package dev.turnout.admin;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The answer of a switch or rollback. {@code drained}, {@code drainMillis} and {@code remaining}
 * are absent when the caller did not wait for the drain, or when nothing changed.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record SwitchResult(
        String from,
        String to,
        long generation,
        boolean changed,
        int inFlightAtSwitch,
        Boolean drained,
        Long drainMillis,
        Integer remaining) {

    SwitchResult withDrain(boolean drained, long millis, int remaining) {
        return new SwitchResult(from, to, generation, changed, inFlightAtSwitch, drained, millis, drained ? null : remaining);
    }
}
