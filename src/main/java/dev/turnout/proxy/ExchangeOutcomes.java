package dev.turnout.proxy;

/**
 * Where every exchange's outcome goes, once, whatever ended it: the pool's outcome history (the
 * baseline of a flip away from it) and the rollback watch on it. Called on the exchange's event
 * loop at its end, so it neither blocks nor locks.
 */
final class ExchangeOutcomes {

    void record(ExchangeOutcome outcome) {
        if (!outcome.judgesPool()) {
            return;
        }
        boolean failed = outcome.failed();
        outcome.pool().outcomes().record(failed);
        if (outcome.watch() != null) {
            outcome.watch().record(failed, outcome.clientAddress());
        }
    }
}
