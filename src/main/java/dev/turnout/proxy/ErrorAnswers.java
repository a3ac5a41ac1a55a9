package dev.turnout.proxy;

import dev.turnout.base.JsonResponse;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;

/** The answers the proxy writes itself: a status and a small JSON body, never a stack trace. */
final class ErrorAnswers {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ErrorAnswers() {}

    /**
     * @param pool    the pool the request was routed to, or null before routing
     * @param backend the backend that failed, or null when no single backend is to blame
     */
    static FullHttpResponse of(HttpResponseStatus status, String error, String pool, String backend, String detail, boolean close) {
        ObjectNode body = JSON.createObjectNode().put("error", error);
        if (pool != null) {
            body.put("pool", pool);
        }
        if (backend != null) {
            body.put("backend", backend);
        }
        body.put("detail", detail);
        FullHttpResponse response = JsonResponse.of(status, body.toString());
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }
}
