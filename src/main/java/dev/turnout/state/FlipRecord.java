package dev.turnout.state;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * One flip as GET /admin/history shows it and the state file keeps it. Built with {@link #builder()};
 * the canonical constructor is for Jackson, which reads records of older state files that may lack fields.
 *
 * @param reason      null only in a state file whose reason this version does not know
 * @param detail      what tripped an automatic rollback; null otherwise
 * @param drained     null while the old pool is still draining
 * @param drainMillis null while the old pool is still draining
 */
public record FlipRecord(
        String at,
        String from,
        String to,
        long generation,
        FlipReason reason,
        boolean forced,
        String by,
        String detail,
        Boolean drained,
        Long drainMillis) {

    public static Builder builder() {
        return new Builder();
    }

    /** This flip before any drain result: what the cluster's shared history keeps, each replica adding its own. */
    public FlipRecord withoutDrain() {
        return new FlipRecord(at, from, to, generation, reason, forced, by, detail, null, null);
    }

    public FlipRecord withDrain(boolean wasDrained, long millis) {
        return new FlipRecord(at, from, to, generation, reason, forced, by, detail, wasDrained, millis);
    }

    /** A flip that has just happened; its drain is added with {@link #withDrain} once it ends. */
    public static final class Builder {

        private Instant at;
        private String from;
        private String to;
        private long generation;
        private FlipReason reason;
        private boolean forced;
        private String by;
        private String detail;

        private Builder() {}

        /** Kept to the second: the history is read by people, and a flip's drain takes longer than that anyway. */
        public Builder at(Instant at) {
            this.at = requireNonNull(at, "at");
            return this;
        }

        public Builder from(String from) {
            this.from = requireNonNull(from, "from");
            return this;
        }

        public Builder to(String to) {
            this.to = requireNonNull(to, "to");
            return this;
        }

        public Builder generation(long generation) {
            this.generation = generation;
            return this;
        }

        public Builder reason(FlipReason reason) {
            this.reason = requireNonNull(reason, "reason");
            return this;
        }

        public Builder forced(boolean forced) {
            this.forced = forced;
            return this;
        }

        /** Who asked: the admin client's address, or {@code turnout} for an automatic rollback. */
        public Builder by(String by) {
            this.by = requireNonNull(by, "by");
            return this;
        }

        public Builder detail(String detail) {
            this.detail = detail;
            return this;
        }

        public FlipRecord build() {
            requireNonNull(at, "at");
            requireNonNull(from, "from");
            requireNonNull(to, "to");
            requireNonNull(reason, "reason");
            requireNonNull(by, "by");
            if (generation < 1) {
                throw new IllegalArgumentException("generation: " + generation + " (expected: >= 1)");
            }
            return new FlipRecord(at.truncatedTo(ChronoUnit.SECONDS).toString(), from, to, generation, reason, forced, by, detail,
                    null, null);
        }
    }
}
