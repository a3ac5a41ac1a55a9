package dev.turnout.proxy;

import dev.turnout.metrics.TurnoutMetrics;

/**
 * Where every exchange's outcome goes, once, whatever ended it: the metrics, the access log, the pool's outcome
 * history (the baseline of a flip away from it) and the rollback watch on it. Called on the exchange's event
 * loop at its end, so it neither blocks nor locks.
 */
final class ExchangeOutcomes {

    private final TurnoutMetrics metrics;
    private final AccessLog accessLog;

    ExchangeOutcomes(TurnoutMetrics metrics, AccessLog accessLog) {
        this.metrics = metrics;
        this.accessLog = accessLog;
    }

    /**
     * A request Turnout answered itself before routing it (a refusal, the HTTPS redirect, the 503
     * past limits.maxConnections): one request in the metrics, as refused and by its code, and one
     * line in the access log.
     */
    void answeredBeforeRouting(AccessRequest access, int status, String error, long generation) {
        metrics.refused(status);
        accessLog.answered(access, status, error, generation);
    }

    /** Turnout's own health at {@code edgeHealth.path}: a line in the access log, but no client request in the metrics. */
    void answeredEdgeHealth(AccessRequest access, int status, long generation) {
        accessLog.answered(access, status, null, generation);
    }

    /** A request whose body broke after routing: its exchange's end counted it; this counts the refusal by its code. */
    void refusedAfterRouting(int status) {
        metrics.clientRefused(status);
    }

    void record(ExchangeOutcome outcome) {
        metrics.exchange(outcome.pool(), outcome.backend(), outcome.status(), outcome.durationNanos(), outcome.firstByteNanos(),
                outcome.attempts());
        if (outcome.ending() == ExchangeOutcome.Ending.ANSWERED_FOR_CLIENT) {
            metrics.clientRefused(outcome.status());
        }
        if (outcome.access() != null) {
            accessLog.write(new AccessLog.Line(outcome.access(), outcome.status(), outcome.requestBytes(), outcome.responseBytes(),
                    outcome.durationNanos(), outcome.firstByteNanos(), outcome.pool().name(),
                    outcome.backend() == null ? null : outcome.backend().address().toString(), outcome.generation(),
                    outcome.attempts() - 1, outcome.error()));
        }
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
