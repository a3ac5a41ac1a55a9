package dev.turnout.state;

import com.fasterxml.jackson.annotation.JsonValue;

/** Why traffic moved: the word the state file, the history and the switch log carry. */
public enum FlipReason {
    MANUAL("manual"),
    ROLLBACK("rollback"),
    AUTO_ROLLBACK("auto-rollback");

    private final String word;

    FlipReason(String word) {
        this.word = word;
    }

    /** Also what Jackson writes and reads, so state files written before this enum existed still load. */
    @JsonValue
    @Override
    public String toString() {
        return word;
    }
}
