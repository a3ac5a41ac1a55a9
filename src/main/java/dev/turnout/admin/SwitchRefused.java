package dev.turnout.admin;

import io.netty.handler.codec.http.HttpResponseStatus;

/** A switch or rollback that cannot happen, with the status and JSON error the admin API answers. */
final class SwitchRefused extends RuntimeException {

    final HttpResponseStatus status;
    final String error;

    SwitchRefused(HttpResponseStatus status, String error, String message) {
        super(message, null, false, false);
        this.status = status;
        this.error = error;
    }
}
