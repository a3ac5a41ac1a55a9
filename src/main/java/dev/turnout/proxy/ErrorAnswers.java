package dev.turnout.proxy;

import dev.turnout.base.JsonResponse;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;

/** The answers the proxy writes itself: a status and a small JSON body, never a stack trace. */
final class ErrorAnswers {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ErrorAnswers() {}

    /**
     * The answer to {@code refusal}; {@code close} adds {@code Connection: close}. With a
     * {@code requestId} (null when there was no request to give one to) the body and the
     * {@code X-Request-Id} header carry it.
     */
    static FullHttpResponse of(Refusal refusal, String requestId, boolean close) {
        ObjectNode body = JSON.createObjectNode().put("error", refusal.error());
        if (refusal.pool() != null) {
            body.put("pool", refusal.pool());
        }
        if (refusal.backend() != null) {
            body.put("backend", refusal.backend());
        }
        body.put("detail", refusal.detail());
        if (requestId != null) {
            body.put("requestId", requestId);
        }
        FullHttpResponse response = JsonResponse.of(refusal.status(), body.toString());
        if (requestId != null) {
            response.headers().set(RequestIds.HEADER, requestId);
        }
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }
}
