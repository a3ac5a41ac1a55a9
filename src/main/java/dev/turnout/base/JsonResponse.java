package dev.turnout.base;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** A complete JSON answer written by Turnout itself, never cached by anyone in between. */
public final class JsonResponse {

    private JsonResponse() {}

    /** {@code json} is already serialized; a newline is added so that curl output ends cleanly. */
    public static FullHttpResponse of(HttpResponseStatus status, String json) {
        byte[] bytes = (json + "\n").getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(bytes));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        return response;
    }

    /**
     * Turnout's own health, on the admin listener and at {@code edgeHealth.path}: {@code 200 {"status":"ok"}}
     * while it serves, {@code 503 {"status":"stopping"}} from the moment it is stopping.
     */
    public static FullHttpResponse health(boolean stopping) {
        return stopping ? of(HttpResponseStatus.SERVICE_UNAVAILABLE, "{\"status\":\"stopping\"}")
                : of(HttpResponseStatus.OK, "{\"status\":\"ok\"}");
    }
}
