package dev.turnout.proxy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

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
        byte[] bytes = (body + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }
}
