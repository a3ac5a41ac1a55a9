package dev.turnout.state;

/**
 * One flip as GET /admin/history shows it and the state file keeps it.
 *
 * @param reason      manual, rollback or auto-rollback
 * @param drained     null while the old pool is still draining
 * @param drainMillis null while the old pool is still draining
 */
public record FlipRecord(
        String at,
        String from,
        String to,
        long generation,
        String reason,
        boolean forced,
        String by,
        String detail,
        Boolean drained,
        Long drainMillis) {

    public FlipRecord withDrain(boolean wasDrained, long millis) {
        return new FlipRecord(at, from, to, generation, reason, forced, by, detail, wasDrained, millis);
    }
}
