package dev.turnout.upstream;

/**
 * A backend's response that Turnout refuses to relay; the message says why, as the client's 502
 * will. Without a stack trace: a refusal is an answer about the backend's bytes, not a fault here,
 * and a hostile backend must not make each one expensive.
 */
final class MalformedResponse extends Exception {

    MalformedResponse(String reason) {
        super(reason, null, false, false);
    }
}
