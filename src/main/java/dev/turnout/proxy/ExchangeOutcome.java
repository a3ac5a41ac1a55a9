package dev.turnout.proxy;

import dev.turnout.routing.Backend;
import dev.turnout.routing.Pool;
import dev.turnout.routing.RollbackWatch;

/**
 * How one exchange ended, recorded once at its single end (see {@link ExchangeOutcomes}).
 *
 * @param backend       the backend of the last attempt, or null when none was tried
 * @param status        the status the client got, or 0 when it got no complete head
 * @param watch         the rollback watch on the pool, or null
 * @param clientAddress the client as the watch counts clients
 * @param attempts      backends tried; more than one means retries
 * @param firstByteNanos from the request head sent upstream to the first response head, or -1 when none came
 * @param responseBytes body bytes relayed to the client
 * @param access        what the access log says of the request, or null when it writes no line for it
 * @param requestBytes  request body bytes taken from the client
 * @param generation    the generation of the snapshot the request was routed with
 * @param error         the error code of Turnout's own answer (a {@link Refusal}'s), or why Turnout closed a tunnel
 *                      ({@link Tunnel#IDLE}, {@link Tunnel#RETIRED}); null otherwise
 */
record ExchangeOutcome(Pool pool, Backend backend, boolean preview, Ending ending, int status, long durationNanos,
                       long firstByteNanos, int attempts, long responseBytes, RollbackWatch watch, CharSequence clientAddress,
                       AccessRequest access, long requestBytes, long generation, String error) {

    /** The ways an exchange ends. */
    enum Ending {
        /** The backend's answer went to the client whole. */
        RELAYED,
        /** Turnout answered in the backend's place, for the pool's failure (502, 503, 504). */
        ANSWERED_FOR_POOL,
        /** Turnout answered a client's failure after routing (408 for a stalled body, 413 for an outgrown one). */
        ANSWERED_FOR_CLIENT,
        /** The answer broke after it began, on the backend's side: the client saw it cut off. */
        CUT_OFF,
        /** The client hung up, or stopped taking its answer. */
        CLIENT_GONE,
        /** The backend switched protocols (101) and the tunnel ran until a side, or Turnout, closed it: a success. */
        TUNNELED
    }

    /** Whether it judges the pool at all: preview traffic and the client's own failures do not. */
    boolean judgesPool() {
        return !preview && ending != Ending.ANSWERED_FOR_CLIENT && ending != Ending.CLIENT_GONE;
    }

    /** Whether it counts as the pool's error. */
    boolean failed() {
        return switch (ending) {
            case RELAYED -> status >= 500;
            case TUNNELED -> false;
            case ANSWERED_FOR_POOL, CUT_OFF -> true;
            case ANSWERED_FOR_CLIENT, CLIENT_GONE -> false;
        };
    }
}
