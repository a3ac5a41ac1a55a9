package dev.turnout.admin;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpResponseStatus;

/** A switch or rollback that cannot happen, with the status and JSON body the admin API answers. */
final class SwitchRefused extends RuntimeException {

    final HttpResponseStatus status;
    final ObjectNode body;

    SwitchRefused(HttpResponseStatus status, String error, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.body = JsonNodeFactory.instance.objectNode().put("error", error).put("detail", detail);
    }
}
